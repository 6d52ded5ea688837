/**
 * Finding 8: internet egress opened the zone's own public addresses and NAT64, and images
 * could come from registries named by addresses. network-isolation now refuses an egress rule
 * that reaches the zone's own or private ranges (or their NAT64 forms) on every port;
 * image-registries refuses address registries the zone does not allow by name.
 */
import { describe, expect, it } from "vitest";
import { imageRegistries } from "../../../policy/rules/image-registries.js";
import { networkIsolation } from "../../../policy/rules/network-isolation.js";
import { internetSpec } from "../../../components/tenant-namespace/isolation.js";
import { container, deployment, networkPolicy, podSpec, type NetworkPolicySpecProps } from "../fixtures.js";
import { messages, validateResource } from "../harness.js";

const ZONE_RANGES = ["203.0.113.0/28", "2001:db8:1::/48"];
const CONFIG = { zoneRanges: ZONE_RANGES, zoneServices: [{ cidr: "203.0.113.5/32", port: 8333 }] };

function egressPolicy(spec: Partial<NetworkPolicySpecProps>) {
  return networkPolicy({ policyTypes: ["Egress"], ...spec }, { name: "pluskube-allow-internet" });
}

async function egressViolations(spec: Partial<NetworkPolicySpecProps>, config: object = CONFIG) {
  return messages(await validateResource(networkIsolation, egressPolicy(spec), config));
}

function internetTo(ipv4Except: string[], ipv6Except: string[]): Partial<NetworkPolicySpecProps> {
  return {
    egress: [
      {
        to: [
          { ipBlock: { cidr: "0.0.0.0/0", except: ipv4Except } },
          { ipBlock: { cidr: "::/0", except: ipv6Except } },
        ],
      },
    ],
  };
}

describe("network-isolation on internet egress", () => {
  it("accepts the internet policy TenantNamespace makes for the zone's ranges", async () => {
    expect(await egressViolations(internetSpec(ZONE_RANGES) as Partial<NetworkPolicySpecProps>)).toEqual([]);
  });

  it("refuses internet egress that leaves the zone's own IPv4 range open", async () => {
    const violations = await egressViolations(internetSpec([]) as Partial<NetworkPolicySpecProps>);

    expect(violations).toContainEqual(
      "spec.egress[0].to[0].ipBlock 0.0.0.0/0 opens every port of 203.0.113.0/28, which must stay closed (the zone's own addresses); list it in except",
    );
  });

  it("refuses internet egress that leaves the zone's own IPv6 range open", async () => {
    const violations = await egressViolations(internetSpec([]) as Partial<NetworkPolicySpecProps>);

    expect(violations).toContainEqual(expect.stringContaining("::/0 opens every port of 2001:db8:1::/48"));
  });

  it("refuses internet egress that reaches private IPv4 ranges through NAT64", async () => {
    const spec = internetTo(
      ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"],
      ["fc00::/7", "fe80::/10", "::1/128"],
    );

    const violations = await egressViolations(spec, {});

    expect(violations).toContainEqual(
      "spec.egress[0].to[1].ipBlock ::/0 opens every port of 64:ff9b::a00:0/104, which must stay closed (10.0.0.0/8 through NAT64); list it in except",
    );
    expect(violations).toContainEqual(expect.stringContaining("64:ff9b:1::/48"));
  });

  it("refuses an all-ports rule to a private address even without zone config", async () => {
    const spec = { egress: [{ to: [{ ipBlock: { cidr: "10.0.3.0/24" } }] }] };

    expect(await egressViolations(spec, {})).toEqual([
      "spec.egress[0].to[0].ipBlock 10.0.3.0/24 opens every port of 10.0.0.0/8, which must stay closed (a private range); list it in except",
    ]);
  });

  it("accepts a zone service on its own port inside the zone's range", async () => {
    const spec = {
      egress: [{ to: [{ ipBlock: { cidr: "203.0.113.5/32" } }], ports: [{ protocol: "TCP", port: 8333 }] }],
    };

    expect(await egressViolations(spec)).toEqual([]);
  });

  it("refuses another port of a zone service's host, such as SeaweedFS's master", async () => {
    const spec = {
      egress: [{ to: [{ ipBlock: { cidr: "203.0.113.5/32" } }], ports: [{ protocol: "TCP", port: 9333 }] }],
    };

    expect(await egressViolations(spec)).toEqual([
      "spec.egress[0].to[0].ipBlock 203.0.113.5/32 opens port 9333 of 203.0.113.0/28, which must stay closed (the zone's own addresses); only the zone's services are reachable there, on their ports",
    ]);
  });
});

describe("image-registries on registries named by an address", () => {
  function withImage(image: string) {
    return deployment({ spec: podSpec({ containers: [container({ image })] }) });
  }

  it.each(["localhost:5000/app:1", "10.0.0.7:5000/app:1", "169.254.169.254/app:1", "127.0.0.1:5000/app:1"])(
    "refuses %s even when no allow-list is set",
    async (image) => {
      const outcome = await validateResource(imageRegistries, withImage(image), {});

      expect(messages(outcome)).toEqual([
        expect.stringMatching(
          /^spec\.template\.spec\.containers\[0\]\.image: image '.*' comes from registry '.*', which is an address/,
        ),
      ]);
    },
  );

  it("accepts an address registry the zone allows by name", async () => {
    const outcome = await validateResource(imageRegistries, withImage("10.0.3.9:5000/team/app:1"), {
      addressRegistries: ["10.0.3.9:5000"],
    });

    expect(messages(outcome)).toEqual([]);
  });

  it("keeps the allow-list: an allowed address registry must still be on it when it is set", async () => {
    const outcome = await validateResource(imageRegistries, withImage("10.0.3.9:5000/team/app:1"), {
      allowed: ["ghcr.io"],
      addressRegistries: ["10.0.3.9:5000"],
    });

    expect(messages(outcome)).toEqual([expect.stringContaining("which is not allowed; allowed: ghcr.io")]);
  });
});
