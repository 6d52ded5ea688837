import { describe, expect, it } from "vitest";
import { resourcesRequired } from "../../policy/rules/resources-required.js";
import { container, deployment, podSpec, POD_SPEC_PATH, service, workload, WORKLOADS } from "./fixtures.js";
import { messages, validateResource } from "./harness.js";

const CONTAINER = "spec.template.spec.containers[0]";
const CHUNK = { cpu: "250m", memory: "512Mi" };

async function violationsWith(resources: {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}) {
  return messages(
    await validateResource(
      resourcesRequired,
      deployment({ spec: podSpec({ containers: [container({ resources })] }) }),
    ),
  );
}

describe("resources-required", () => {
  it.each(WORKLOADS)("accepts a %s whose containers set requests and limits", async (kind) => {
    const outcome = await validateResource(resourcesRequired, workload(kind));

    expect(outcome.violations).toEqual([]);
  });

  it("is not applicable to a Service", async () => {
    expect((await validateResource(resourcesRequired, service())).notApplicable).toHaveLength(1);
  });

  it.each([
    ["requests", "cpu"],
    ["requests", "memory"],
    ["limits", "cpu"],
    ["limits", "memory"],
  ] as const)("refuses a container without %s.%s", async (kind, resource) => {
    const without = Object.fromEntries(Object.entries(CHUNK).filter(([name]) => name !== resource));
    const resources = { requests: CHUNK, limits: CHUNK, [kind]: without };

    expect(await violationsWith(resources)).toEqual([
      `${CONTAINER}.resources.${kind}.${resource} must be set`,
    ]);
  });

  it("refuses a container without any resources, naming all four fields", async () => {
    const outcome = await validateResource(
      resourcesRequired,
      deployment({ spec: podSpec({ containers: [container({ resources: undefined })] }) }),
    );

    expect(messages(outcome)).toEqual([
      `${CONTAINER}.resources.requests.cpu must be set`,
      `${CONTAINER}.resources.requests.memory must be set`,
      `${CONTAINER}.resources.limits.cpu must be set`,
      `${CONTAINER}.resources.limits.memory must be set`,
    ]);
  });

  it("refuses a quantity that is not one", async () => {
    expect(await violationsWith({ requests: { ...CHUNK, cpu: "lots" }, limits: CHUNK })).toEqual([
      `${CONTAINER}.resources.requests.cpu must be a positive quantity such as 250m or 1, got 'lots'`,
    ]);
  });

  it("refuses an init container without limits", async () => {
    const spec = podSpec({ initContainers: [container({ name: "setup", resources: { requests: CHUNK } })] });

    const outcome = await validateResource(resourcesRequired, deployment({ spec }));

    expect(messages(outcome)).toEqual([
      "spec.template.spec.initContainers[0].resources.limits.cpu must be set",
      "spec.template.spec.initContainers[0].resources.limits.memory must be set",
    ]);
  });

  it.each(WORKLOADS)("checks every container of a %s, not just the first", async (kind) => {
    const spec = podSpec({
      containers: [container(), container({ name: "sidecar", resources: { limits: CHUNK } })],
    });

    const outcome = await validateResource(resourcesRequired, workload(kind, { spec }));

    expect(messages(outcome)).toEqual([
      `${POD_SPEC_PATH[kind]}.containers[1].resources.requests.cpu must be set`,
      `${POD_SPEC_PATH[kind]}.containers[1].resources.requests.memory must be set`,
    ]);
  });
});
