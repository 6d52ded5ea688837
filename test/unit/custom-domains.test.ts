import { describe, expect, it } from "vitest";
import {
  challengeName,
  claimCovers,
  claimsOverlap,
  claimsZoneDomain,
  isDomainClaim,
  normalizeClaim,
  sortClaims,
} from "../../spec/domains.js";
import { parseProjectSpec } from "../../spec/project.js";
import { parseZoneSpec } from "../../spec/zone.js";
import { withVerifiedDomains } from "../../automation-api/domain/custom-domains.js";

describe("a domain claim", () => {
  it.each(["shop.example.org", "*.example.org", "*.a.b.example.org"])("may be %s", (claim) => {
    expect(isDomainClaim(claim)).toBe(true);
  });

  it.each([
    "example",
    "*.org.",
    "**.example.org",
    "shop.*.example.org",
    "Shop.example.org",
    "*",
    "a_b.example.org",
  ])("may not be %s", (claim) => {
    expect(isDomainClaim(claim)).toBe(false);
  });

  it("is read in any case and without the root's dot", () => {
    expect(normalizeClaim(" Shop.Example.ORG. ")).toBe("shop.example.org");
  });

  it("is proven at _pluskube-challenge under its name, a wildcard at its domain's", () => {
    expect(challengeName("shop.example.org")).toBe("_pluskube-challenge.shop.example.org");
    expect(challengeName("*.example.org")).toBe("_pluskube-challenge.example.org");
  });
});

describe("what a verified claim covers", () => {
  it.each([
    ["shop.example.org", "shop.example.org", true],
    ["shop.example.org", "www.shop.example.org", false],
    ["*.example.org", "shop.example.org", true],
    ["*.example.org", "a.b.example.org", true],
    ["*.example.org", "example.org", false],
    ["*.example.org", "badexample.org", false],
  ])("%s covers %s: %s", (claim, host, covered) => {
    expect(claimCovers(claim, host)).toBe(covered);
  });
});

describe("claims of two projects", () => {
  it.each([
    ["shop.example.org", "shop.example.org", true],
    ["shop.example.org", "blog.example.org", false],
    ["*.example.org", "shop.example.org", true],
    ["*.example.org", "example.org", false],
    ["*.example.org", "*.shop.example.org", true],
    ["*.shop.example.org", "*.example.org", true],
    ["*.example.org", "*.example.net", false],
    ["*.shop.example.org", "shop.example.org", false],
  ])("%s and %s overlap: %s", (a, b, overlap) => {
    expect(claimsOverlap(a, b)).toBe(overlap);
    expect(claimsOverlap(b, a)).toBe(overlap);
  });
});

describe("the zone's own domain", () => {
  const base = "apps.example.org";

  it.each([base, `web.${base}`, `*.${base}`, `a.b.${base}`, "*.example.org", "*.org"])(
    "is reached by %s",
    (claim) => {
      expect(claimsZoneDomain(claim, base)).toBe(true);
    },
  );

  it.each(["example.org", "shop.example.org", "*.shop.example.org", "apps.example.net"])(
    "is not reached by %s",
    (claim) => {
      expect(claimsZoneDomain(claim, base)).toBe(false);
    },
  );
});

describe("verified domains of a spec", () => {
  const spec = parseProjectSpec({
    project: "shop",
    zone: "testzone",
    verifiedDomains: ["*.example.org", "shop.example.net"],
    apps: [
      { name: "web", image: "nginx:1.27", customDomains: ["www.example.org", "shop.example.net"] },
      { name: "api", image: "nginx:1.27", customDomains: ["api.example.org"] },
    ],
  });

  it("take the hosts no remaining claim covers out of the apps", () => {
    const { spec: after, dropped } = withVerifiedDomains(spec, ["shop.example.net"]);

    expect(after.verifiedDomains).toEqual(["shop.example.net"]);
    expect(after.apps.map((app) => app.customDomains)).toEqual([["shop.example.net"], []]);
    expect(dropped).toEqual([
      { app: "web", host: "www.example.org" },
      { app: "api", host: "api.example.org" },
    ]);
  });

  it("keep a host another claim still covers", () => {
    const both = { ...spec, verifiedDomains: [...spec.verifiedDomains, "www.example.org"] };

    const { spec: after } = withVerifiedDomains(both, ["www.example.org", "shop.example.net"]);

    expect(after.apps[0]?.customDomains).toEqual(["www.example.org", "shop.example.net"]);
  });

  it("are kept in a stable order, a name before its wildcard", () => {
    expect(sortClaims(["*.example.org", "b.example.net", "example.org", "b.example.net"])).toEqual([
      "b.example.net",
      "example.org",
      "*.example.org",
    ]);
  });

  it("let apps use names under a wildcard, but not the wildcard's own domain", () => {
    expect(() =>
      parseProjectSpec({
        project: "shop",
        zone: "testzone",
        verifiedDomains: ["*.example.org"],
        apps: [{ name: "web", image: "nginx:1.27", customDomains: ["example.org"] }],
      }),
    ).toThrow(/domain 'example.org' is not verified for this project; verified: \*\.example\.org/);
  });
});

describe("a zone's domain settings", () => {
  const zone = (domains: unknown) =>
    parseZoneSpec({
      name: "z",
      baseDomain: "z.example.org",
      ingressClass: "nginx",
      storageClass: "standard",
      chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
      capacity: { cpu: "4", memory: "8Gi", disk: "40Gi", databaseGB: 10, objectGB: 20 },
      reserve: { cpu: "1", memory: "2Gi", disk: "10Gi" },
      postgres: { host: "h", port: 5432, adminUser: "a", passwordFile: "/dev/null" },
      s3: { endpoint: "http://127.0.0.1:8333", adminAccessKeyFile: "/a", adminSecretKeyFile: "/b" },
      ...(domains === undefined ? {} : { domains }),
    });

  it("default to the host's resolvers, hourly checks and a lapse after two missed checks", () => {
    expect(zone(undefined).domains).toEqual({
      resolvers: [],
      checkIntervalSeconds: 3600,
      lapseAfterMissedChecks: 2,
      lookupTimeoutSeconds: 5,
    });
  });

  it.each(["192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53", "2001:db8::53"])(
    "take the resolver %s",
    (address) => {
      expect(zone({ resolvers: [address] }).domains.resolvers).toEqual([address]);
    },
  );

  it.each(["dns.example.org", "192.0.2.300", "192.0.2.53:"])("refuse the resolver %s", (address) => {
    expect(() => zone({ resolvers: [address] })).toThrow(/must be a resolver address/);
  });
});
