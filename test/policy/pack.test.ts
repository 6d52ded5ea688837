import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { policyConfigFor, type PluskubePolicyConfig } from "../../policy/config.js";
import { policies } from "../../policy/policies.js";
import { GIB } from "../../spec/quantity.js";

const RULES = [
  "tenant-quota",
  "namespace-confinement",
  "pod-security-restricted",
  "network-isolation",
  "ingress-hosts",
  "resources-required",
  "image-registries",
  "database-privileges",
];

const INPUT = {
  namespace: "shop",
  share: {
    chunks: 12,
    cpuMillis: 3000,
    memoryBytes: 6 * GIB,
    diskBytes: 12 * GIB,
    storageBytes: 20 * GIB,
    databaseGB: 5,
    objectGB: 10,
  },
  baseDomain: "zone.example.org",
  verifiedDomains: ["shop.example.com"],
};

describe("the pluskube policy pack", () => {
  it("has the eight rules, each with a stable kebab-case name", () => {
    expect(policies.map((policy) => policy.name)).toEqual(RULES);
  });

  it("makes every rule mandatory", () => {
    expect(policies.map((policy) => policy.enforcementLevel)).toEqual(RULES.map(() => "mandatory"));
  });

  it("describes every rule", () => {
    for (const policy of policies) expect(policy.description.length).toBeGreaterThan(20);
  });

  it("is declared as a Node.js pack named pluskube", () => {
    const project = parseYaml(
      readFileSync(new URL("../../policy/PulumiPolicy.yaml", import.meta.url), "utf8"),
    ) as {
      runtime: string;
    };
    const index = readFileSync(new URL("../../policy/index.ts", import.meta.url), "utf8");

    expect(project.runtime).toBe("nodejs");
    expect(index).toContain('new PolicyPack("pluskube", { enforcementLevel: "mandatory", policies })');
  });

  describe("policyConfigFor", () => {
    it("writes each rule's config from what the service knows", () => {
      expect(policyConfigFor(INPUT)).toEqual({
        "tenant-quota": {
          share: {
            cpuMillis: 3000,
            memoryBytes: 6 * GIB,
            diskBytes: 12 * GIB,
            storageBytes: 20 * GIB,
            databaseGB: 5,
            objectGB: 10,
          },
        },
        "namespace-confinement": { namespace: "shop" },
        "ingress-hosts": {
          baseDomain: "zone.example.org",
          verifiedDomains: ["shop.example.com"],
          requireTls: true,
        },
        "image-registries": { allowed: [], addressRegistries: [] },
        "network-isolation": { zoneRanges: [], zoneServices: [] },
        "database-privileges": {},
      });
    });

    it("passes the zone's optional limits through", () => {
      const config = policyConfigFor({
        ...INPUT,
        allowedRegistries: ["ghcr.io"],
        maxConnectionLimit: 50,
        requireTls: false,
        zoneRanges: ["203.0.113.0/28"],
        zoneServices: [{ cidr: "203.0.113.5/32", port: 8333 }],
        addressRegistries: ["10.0.3.9:5000"],
      });

      expect(config["image-registries"]).toEqual({
        allowed: ["ghcr.io"],
        addressRegistries: ["10.0.3.9:5000"],
      });
      expect(config["network-isolation"]).toEqual({
        zoneRanges: ["203.0.113.0/28"],
        zoneServices: [{ cidr: "203.0.113.5/32", port: 8333 }],
      });
      expect(config["database-privileges"]).toEqual({ maxConnectionLimit: 50 });
      expect(config["ingress-hosts"].requireTls).toBe(false);
    });

    it("survives JSON, as the file handed to --policy-pack-config", () => {
      const config = policyConfigFor(INPUT);

      expect(JSON.parse(JSON.stringify(config))).toEqual(config);
    });

    it.each(Object.keys(policyConfigFor(INPUT)))(
      "writes only fields that %s's config schema declares",
      (rule) => {
        const written = policyConfigFor({ ...INPUT, allowedRegistries: ["ghcr.io"], maxConnectionLimit: 5 })[
          rule as keyof PluskubePolicyConfig
        ];
        const schema = policies.find((policy) => policy.name === rule)?.configSchema;

        expect(Object.keys(schema?.properties ?? {})).toEqual(expect.arrayContaining(Object.keys(written)));
      },
    );
  });

  it("gives every config field either a default or a meaning when left out", () => {
    for (const policy of policies) {
      for (const [field, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        const described =
          typeof schema === "object" &&
          ("default" in schema || /unset|left out/i.test(schema.description ?? ""));
        expect(described, `${policy.name}.${field}`).toBe(true);
      }
    }
  });
});
