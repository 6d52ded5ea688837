/**
 * Verified custom domains on the real engine: the policy pack, told the project's verified
 * domains as the service tells it from its store, lets an app serve a name under a verified
 * wildcard with TLS from the zone's issuer, and refuses the same app once the domain is no
 * longer verified.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../localzone/zone.js";
import { parseProjectSpec, projectUsage, type ProjectSpecInput } from "../../spec/project.js";
import { kubeSend } from "./helpers/local-zone.js";
import { ProjectStack, uniqueProject, type PackInput } from "./helpers/project-stack.js";

const zone = simulatedZone();
const project = uniqueProject("it-domains");

function spec(verifiedDomains: string[]): ProjectSpecInput {
  return {
    project,
    zone: zone.name,
    verifiedDomains,
    apps: [{ name: "web", image: "registry.k8s.io/pause:3.10", customDomains: ["shop.example.org"] }],
  };
}

function packFor(verifiedDomains: string[]): PackInput {
  return {
    namespace: project,
    share: projectUsage(parseProjectSpec(spec(["*.example.org"])), zone),
    baseDomain: zone.baseDomain,
    verifiedDomains,
    requireTls: zone.certIssuer !== "",
  };
}

describe("a custom domain on the real engine", () => {
  let stack: ProjectStack;

  beforeAll(async () => {
    stack = await ProjectStack.create(spec(["*.example.org"]), zone);
  });
  afterAll(async () => {
    await stack.dispose();
  });

  it("is served by the app's Ingress when a verified wildcard covers it", async () => {
    await stack.up(spec(["*.example.org"]), packFor(["*.example.org"]));

    const ingresses = await kubeSend<{
      items: { spec: { rules: { host: string }[]; tls?: { hosts: string[] }[] } }[];
    }>("GET", `/apis/networking.k8s.io/v1/namespaces/${project}/ingresses`);
    const [ingress] = ingresses.body.items;
    expect(ingress?.spec.rules.map((rule) => rule.host)).toContain("shop.example.org");
    // The zone's issuer, where it has one, gives the custom domain its certificate with the subdomain.
    if (zone.certIssuer !== "") expect(ingress?.spec.tls?.[0]?.hosts).toContain("shop.example.org");
  });

  it("is refused by ingress-hosts once the domain is no longer verified for the project", async () => {
    let message = "";
    try {
      await stack.up(spec(["*.example.org"]), packFor(["other.example.org"]));
    } catch (error) {
      message = String(error);
    }

    expect(message).toContain("ingress-hosts");
    expect(message).toContain("'shop.example.org' is neither one label under");
  });
});
