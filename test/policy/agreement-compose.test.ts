/**
 * composeProject and the rules agree: the resources the project program makes for a valid spec
 * pass the whole pack with the config the service writes for that spec.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/policies.js";
import { installMocks, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "../unit/support/settle.js";
import { agreementConfig, agreementZone, AGREEMENT_SPEC, asPolicyResources } from "./agreement.js";
import { messages, validatePack } from "./harness.js";

describe("composeProject and the policy pack", () => {
  let recorder: ResourceRecorder;
  const files = mkdtempSync(join(tmpdir(), "pluskube-compose-"));
  const zone = agreementZone(files);

  beforeAll(async () => {
    const credentials = {
      "postgres.password": "admin-password",
      "s3.access-key": "admin-key",
      "s3.secret-key": "admin-secret",
    };
    for (const [file, content] of Object.entries(credentials)) {
      writeFileSync(join(files, file), content, { mode: 0o600 });
    }
    recorder = await installMocks({ stack: "shop.lisbon" });
    const { composeProject } = await import("../../stacks/project/compose.js");
    composeProject(AGREEMENT_SPEC, zone);
    await settle(recorder);
  });

  it("makes the workloads, claims and policies of the spec", () => {
    const types = new Set(recorder.resources.map((resource) => resource.type));

    expect([...types]).toEqual(
      expect.arrayContaining([
        "kubernetes:core/v1:Namespace",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:serving.knative.dev/v1:Service",
        "kubernetes:networking.k8s.io/v1:Ingress",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "postgresql:index/role:Role",
      ]),
    );
  });

  it("yields no violation with the config the service writes for the spec", async () => {
    const outcome = await validatePack(
      policies,
      asPolicyResources(recorder.resources),
      agreementConfig(AGREEMENT_SPEC, zone) as unknown as Record<string, object>,
    );

    expect(messages(outcome)).toEqual([]);
    expect(outcome.advisories).toEqual([]);
  });

  it("is refused by tenant-quota once the share is one replica smaller", async () => {
    const config = agreementConfig(AGREEMENT_SPEC, zone);
    const share = config["tenant-quota"].share;
    const smaller = {
      ...config,
      "tenant-quota": { share: { ...share, cpuMillis: (share.cpuMillis ?? 0) - 250 } },
    };

    const outcome = await validatePack(
      policies,
      asPolicyResources(recorder.resources),
      smaller as unknown as Record<string, object>,
    );

    expect(outcome.violations.map((violation) => violation.policy)).toEqual(["tenant-quota"]);
  });
});
