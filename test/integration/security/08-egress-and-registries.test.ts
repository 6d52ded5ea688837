import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../../localzone/zone.js";
import { nat64Range, NAT64_LOCAL_USE_PREFIX, parseCidr } from "../../../spec/address-ranges.js";
import { kubeGet } from "../helpers/local-zone.js";
import { ProjectStack, uniqueProject, type PackInput } from "../helpers/project-stack.js";

/**
 * Finding 8 (egress): "internet" egress opened the zone's own addresses and NAT64. The policy
 * the cluster holds for a project with internet egress must leave out every range the zone file
 * lists, their NAT64 forms and NAT64's local-use prefix, and the policy pack must agree.
 */

interface IpBlockPeer {
  ipBlock?: { cidr: string; except?: string[] };
}
interface NetworkPolicyObject {
  spec: { egress?: { to?: IpBlockPeer[] }[] };
}

const zone = simulatedZone();
const project = uniqueProject("it-egress");
const spec = { project, zone: zone.name };
const pack: PackInput = {
  namespace: project,
  share: {},
  baseDomain: zone.baseDomain,
  verifiedDomains: [],
  requireTls: false,
};
let stack: ProjectStack;

beforeAll(async () => {
  stack = await ProjectStack.create(spec, zone);
});
afterAll(async () => {
  await stack?.dispose();
});

describe("internet egress of a project on the local zone", () => {
  it("is deployed, and judged again, with the policy pack holding the zone's ranges", async () => {
    const up = await stack.up(spec, pack);

    expect(up.outputs["namespace"]).toBe(project);
  });

  it("leaves out the zone's own ranges, their NAT64 forms and NAT64's local-use prefix", async () => {
    const policy = await kubeGet<NetworkPolicyObject>(
      `/apis/networking.k8s.io/v1/namespaces/${project}/networkpolicies/pluskube-allow-internet`,
    );
    const blocks = (policy.spec.egress ?? [])
      .flatMap((rule) => rule.to ?? [])
      .flatMap((peer) => peer.ipBlock ?? []);
    const ipv4 = blocks.find((block) => block.cidr === "0.0.0.0/0");
    const ipv6 = blocks.find((block) => block.cidr === "::/0");
    const own4 = zone.addressRanges.filter((cidr) => parseCidr(cidr)?.family === 4);
    const own6 = zone.addressRanges.filter((cidr) => parseCidr(cidr)?.family === 6);

    expect(zone.addressRanges.length).toBeGreaterThan(0);
    expect(ipv4?.except).toEqual(expect.arrayContaining(own4));
    expect(ipv6?.except).toEqual(
      expect.arrayContaining([
        ...own6,
        ...own4.map(nat64Range),
        NAT64_LOCAL_USE_PREFIX,
        nat64Range("10.0.0.0/8"),
      ]),
    );
  });

  it("runs again over the namespace it created without replacing or deleting anything", async () => {
    const again = await stack.up(spec, pack);

    expect(again.changes["replace"] ?? 0).toBe(0);
    expect(again.changes["delete"] ?? 0).toBe(0);
    expect(again.outputs["namespace"]).toBe(project);
  });
});
