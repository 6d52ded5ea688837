import { describe, expect, it } from "vitest";
import { planChanges, type CurrentProject } from "../../../cli/gitops/plan.js";
import { parseProjectSpec } from "../../../spec/project.js";

const spec = parseProjectSpec({
  project: "shop",
  zone: "lisbon",
  apps: [{ name: "web", image: "nginx:1.27", volumes: [{ volume: "data", mountPath: "/data" }] }],
  volumes: [{ name: "data", size: "1Gi" }],
});

/** The project as the API would answer for `held`: each item with what answers add. */
function current(held = spec, internetEgress = true): CurrentProject {
  const answer = (item: object) => ({ ...item, project: "shop", deployed: true, links: { self: "/" } });
  return {
    zone: held.zone,
    internetEgress,
    verifiedDomains: [],
    items: {
      apps: held.apps.map(answer),
      databases: held.databases.map(answer),
      buckets: held.buckets.map(answer),
      volumes: held.volumes.map(answer),
    },
  };
}

describe("planChanges", () => {
  it("creates the project and its items, volumes before the apps that mount them", () => {
    expect(
      planChanges(spec, undefined).map((change) => [change.action, "kind" in change ? change.kind : ""]),
    ).toEqual([
      ["create-project", ""],
      ["create", "volumes"],
      ["create", "apps"],
    ]);
  });

  it("changes nothing for the project as the spec says", () => {
    expect(planChanges(spec, current())).toEqual([]);
  });

  it("replaces an item naming the fields that differ, and deletes what the spec leaves out", () => {
    const changed = parseProjectSpec({
      project: "shop",
      zone: "lisbon",
      internetEgress: false,
      apps: [{ name: "web", image: "nginx:1.28" }],
    });

    expect(planChanges(changed, current())).toEqual([
      { action: "update-project", zone: "lisbon", internetEgress: false },
      expect.objectContaining({ action: "replace", kind: "apps", name: "web", fields: ["image", "volumes"] }),
      { action: "delete", kind: "volumes", name: "data" },
    ]);
  });
});
