/**
 * The policy pack on the real engine: a project stack that breaks a rule is refused before
 * anything of it exists, in the cluster or in the stack's state. Resource rules run on each
 * resource before it is created, so `up` alone refuses a breach in the stack's first object
 * (a later object's breach would stop `up` only after the earlier ones exist); stack rules
 * (tenant-quota) run at the end of a preview or an update. So `up` runs `preview` with the pack
 * first, unless the stack's spec shows the pack's verdict is a pass
 * (automation-api/domain/prejudge.ts), and the update only when the preview passes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../localzone/zone.js";
import { parseProjectSpec, projectUsage, type ProjectSpecInput } from "../../spec/project.js";
import { kubeSend } from "./helpers/local-zone.js";
import { ProjectStack, uniqueProject, type PackInput } from "./helpers/project-stack.js";

const zone = simulatedZone();
const GiB = 1024 ** 3;

/** A project with nothing but a 2Gi persistent volume: its namespace, quota, policies and claim. */
function volumeProject(project: string): ProjectSpecInput {
  return { project, zone: zone.name, volumes: [{ name: "data", size: "2Gi" }] };
}

/** A project with one app of the given image and a 2Gi persistent volume. */
function appProject(project: string, image: string): ProjectSpecInput {
  return { ...volumeProject(project), apps: [{ name: "web", image }] };
}

/** The policy input the service writes for a project of the local zone, with the given share. */
function policyFor(namespace: string, share: PackInput["share"]): PackInput {
  return {
    namespace,
    share,
    baseDomain: zone.baseDomain,
    verifiedDomains: [],
    requireTls: zone.certIssuer !== "",
  };
}

/** The message a refused engine run fails with (the Automation API's CommandError carries stderr and stdout). */
async function refusal(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (error) {
    return String(error);
  }
  throw new Error("the engine run was not refused");
}

async function namespaceExists(name: string): Promise<boolean> {
  return (await kubeSend("GET", `/api/v1/namespaces/${name}`)).status === 200;
}

describe("the policy pack on the real engine", () => {
  const stacks: ProjectStack[] = [];
  const stackFor = async (spec: ProjectSpecInput): Promise<ProjectStack> => {
    const stack = await ProjectStack.create(spec, zone);
    stacks.push(stack);
    return stack;
  };

  afterAll(async () => {
    for (const stack of stacks) await stack.dispose();
  });

  describe("a stack that would create another project's namespace", () => {
    const project = uniqueProject("it-policy-other");
    let stack: ProjectStack;
    let message: string;

    beforeAll(async () => {
      stack = await stackFor(volumeProject(project));
      // The service admitted the project `it-policy-admitted`; the stack is for another one.
      const pack = policyFor("it-policy-admitted", {});
      message = await refusal(stack.up(volumeProject(project), pack));
    });

    it("is refused by up under namespace-confinement", () => {
      expect(message).toContain("namespace-confinement");
      expect(message).toContain(`metadata.name must be 'it-policy-admitted'`);
      expect(message).toContain(`got '${project}'`);
    });

    it("leaves no namespace in the cluster", async () => {
      expect(await namespaceExists(project)).toBe(false);
    });

    it("leaves nothing created in the stack's state", async () => {
      expect(await stack.createdResources()).toEqual([]);
    });
  });

  describe("a stack over the project's share", () => {
    const project = uniqueProject("it-policy-quota");
    let stack: ProjectStack;
    let message: string;

    beforeAll(async () => {
      stack = await stackFor(volumeProject(project));
      const pack = policyFor(project, { storageBytes: 1 * GiB });
      message = await refusal(stack.preview(volumeProject(project), pack));
    });

    it("is refused by preview under tenant-quota, naming used and share", () => {
      expect(message).toContain("tenant-quota");
      expect(message).toContain("the stack exceeds the project's share in storage (used 2Gi, share 1Gi)");
    });

    it("leaves no namespace in the cluster", async () => {
      expect(await namespaceExists(project)).toBe(false);
    });

    it("leaves nothing created in the stack's state", async () => {
      expect(await stack.createdResources()).toEqual([]);
    });
  });

  describe("a stack with an app from a registry the zone does not allow", () => {
    const project = uniqueProject("it-policy-registry");
    const spec = appProject(project, "registry.k8s.io/pause:3.10");
    let stack: ProjectStack;
    let message: string;

    beforeAll(async () => {
      stack = await stackFor(spec);
      const pack = { ...policyFor(project, {}), allowedRegistries: ["ghcr.io"] };
      message = await refusal(stack.preview(spec, pack));
    });

    it("is refused by preview under image-registries, naming the container's image", () => {
      expect(message).toContain("image-registries");
      expect(message).toContain(
        "spec.template.spec.containers[0].image 'registry.k8s.io/pause:3.10' comes from registry.k8s.io/pause, which is not allowed; allowed: ghcr.io",
      );
    });

    it("leaves no namespace in the cluster", async () => {
      expect(await namespaceExists(project)).toBe(false);
    });

    it("leaves nothing created in the stack's state", async () => {
      expect(await stack.createdResources()).toEqual([]);
    });
  });

  describe("a stack within the rules and the project's share", () => {
    const project = uniqueProject("it-policy-fits");
    const spec = appProject(project, "registry.k8s.io/pause:3.10");
    let stack: ProjectStack;

    beforeAll(async () => {
      stack = await stackFor(spec);
    });

    it("passes preview and up with the pack, and its namespace exists in the cluster and the state", async () => {
      // Exactly what the spec holds: the share is full, not exceeded.
      const pack = policyFor(project, projectUsage(parseProjectSpec(spec), zone));

      await stack.preview(spec, pack);
      const up = await stack.up(spec, pack);

      expect(up.changes["create"]).toBeGreaterThan(0);
      expect(await namespaceExists(project)).toBe(true);
      expect(await stack.createdResources()).toContainEqual(
        expect.stringContaining(`kubernetes:core/v1:Namespace::${project}-namespace`),
      );
    });
  });

  describe.each([
    {
      what: "beyond the project's share",
      project: uniqueProject("it-policy-up-quota"),
      spec: (project: string) => volumeProject(project),
      pack: (project: string) => policyFor(project, { storageBytes: 1 * GiB }),
      rule: "tenant-quota",
    },
    {
      what: "with an image from a registry the zone does not allow",
      project: uniqueProject("it-policy-up-registry"),
      spec: (project: string) => appProject(project, "registry.k8s.io/pause:3.10"),
      pack: (project: string) => ({ ...policyFor(project, {}), allowedRegistries: ["ghcr.io"] }),
      rule: "image-registries",
    },
  ])("up alone, as the service runs it, on a stack $what", ({ project, spec, pack, rule }) => {
    let stack: ProjectStack;
    let message: string;

    beforeAll(async () => {
      stack = await stackFor(spec(project));
      // The spec cannot tell the verdict is a pass, so up previews with the pack first.
      message = await refusal(stack.up(spec(project), pack(project)));
    });

    it(`is refused under ${rule}`, () => {
      expect(message).toContain(rule);
    });

    it("leaves no namespace in the cluster and nothing created in the stack's state", async () => {
      expect(await namespaceExists(project)).toBe(false);
      expect(await stack.createdResources()).toEqual([]);
    });
  });
});
