import { describe, expect, it } from "vitest";
import { ingressHosts } from "../../policy/rules/ingress-hosts.js";
import { APP_HOST, BASE_DOMAIN, ingress, NAMESPACE, service, VERIFIED_DOMAIN } from "./fixtures.js";
import { messages, validateResource, type FakeResource } from "./harness.js";

const CONFIG = { baseDomain: BASE_DOMAIN, verifiedDomains: [VERIFIED_DOMAIN] };

async function violations(resource: FakeResource, config: object = CONFIG): Promise<string[]> {
  return messages(await validateResource(ingressHosts, resource, config));
}

function withHost(host: string | undefined): FakeResource {
  return ingress({
    rules: [{ host, http: { paths: [] } }],
    tls: [{ hosts: host ? [host] : [], secretName: "web-tls" }],
  });
}

function domainMapping(host: string): FakeResource {
  return {
    type: "kubernetes:serving.knative.dev/v1beta1:DomainMapping",
    name: "api-domain",
    props: {
      metadata: { name: host, namespace: NAMESPACE },
      spec: { ref: { name: "api", kind: "Service" } },
    },
  };
}

describe("ingress-hosts", () => {
  it("accepts the app's subdomain and a verified domain, both with TLS", async () => {
    expect(await violations(ingress())).toEqual([]);
  });

  it("is not applicable to a Service", async () => {
    expect((await validateResource(ingressHosts, service(), CONFIG)).notApplicable).toHaveLength(1);
  });

  it("refuses a host outside the base domain and the verified ones", async () => {
    expect(await violations(withHost("shop.example.net"))).toEqual([
      `spec.rules[0].host 'shop.example.net' is neither one label under ${BASE_DOMAIN} nor a verified domain of the project (verified: ${VERIFIED_DOMAIN})`,
      `spec.tls[0].hosts[0] 'shop.example.net' is neither one label under ${BASE_DOMAIN} nor a verified domain of the project (verified: ${VERIFIED_DOMAIN})`,
    ]);
  });

  it("refuses a host two labels under the base domain", async () => {
    expect((await violations(withHost(`a.b.${BASE_DOMAIN}`)))[0]).toMatch(
      /^spec\.rules\[0\]\.host 'a\.b\.zone\.example\.org' is neither one label under/,
    );
  });

  it("refuses the base domain itself", async () => {
    expect((await violations(withHost(BASE_DOMAIN)))[0]).toMatch(
      /^spec\.rules\[0\]\.host 'zone\.example\.org' is neither/,
    );
  });

  it("refuses a host that only ends like the base domain", async () => {
    expect(await violations(withHost(`evil${BASE_DOMAIN}`))).toHaveLength(2);
  });

  it("refuses a subdomain of a verified domain", async () => {
    expect((await violations(withHost(`www.${VERIFIED_DOMAIN}`)))[0]).toMatch(
      /^spec\.rules\[0\]\.host 'www\.shop/,
    );
  });

  it("accepts names under a verified wildcard domain, at any depth", async () => {
    const config = { ...CONFIG, verifiedDomains: ["*.example.net"] };

    expect(await violations(withHost("shop.example.net"), config)).toEqual([]);
    expect(await violations(withHost("v2.api.example.net"), config)).toEqual([]);
  });

  it("refuses the domain of a verified wildcard itself, which the wildcard does not cover", async () => {
    const config = { ...CONFIG, verifiedDomains: ["*.example.net"] };

    expect((await violations(withHost("example.net"), config))[0]).toMatch(
      /^spec\.rules\[0\]\.host 'example\.net' is neither/,
    );
  });

  it("refuses a host that only ends like a verified wildcard's domain", async () => {
    const config = { ...CONFIG, verifiedDomains: ["*.example.net"] };

    expect(await violations(withHost("evilexample.net"), config)).toHaveLength(2);
  });

  it("accepts a Knative DomainMapping under a verified wildcard domain", async () => {
    const config = { ...CONFIG, verifiedDomains: ["*.example.net"] };

    expect(await violations(domainMapping("fn.example.net"), config)).toEqual([]);
  });

  it("refuses a wildcard host", async () => {
    expect(await violations(withHost(`*.${BASE_DOMAIN}`))).toEqual([
      `spec.rules[0].host '*.${BASE_DOMAIN}' must not be a wildcard`,
      `spec.tls[0].hosts[0] '*.${BASE_DOMAIN}' must not be a wildcard`,
    ]);
  });

  it("refuses an empty host", async () => {
    expect(await violations(withHost(undefined))).toEqual([
      "spec.rules[0].host must be set: an empty host answers for every domain",
    ]);
  });

  it("refuses a host with uppercase letters", async () => {
    expect((await violations(withHost(`Shop.${BASE_DOMAIN}`)))[0]).toBe(
      `spec.rules[0].host 'Shop.${BASE_DOMAIN}' is not a host name such as app.example.org (lowercase, no wildcard)`,
    );
  });

  it("refuses an Ingress without rules", async () => {
    expect(
      await violations(ingress({ rules: [], tls: [{ hosts: [APP_HOST], secretName: "web-tls" }] })),
    ).toEqual(["spec.rules must list at least one host"]);
  });

  it("refuses a default backend, which answers for every host", async () => {
    const catchAll = ingress({ defaultBackend: { service: { name: "web", port: { number: 80 } } } });

    expect(await violations(catchAll)).toEqual([
      "spec.defaultBackend must not be set: it answers for hosts no rule names",
    ]);
  });

  it("refuses an Ingress without TLS", async () => {
    expect(await violations(ingress({ tls: [] }))).toEqual([
      "spec.tls must be set: TLS is required for every host",
    ]);
  });

  it("accepts an Ingress without TLS in a zone configured without it", async () => {
    expect(await violations(ingress({ tls: undefined }), { ...CONFIG, requireTls: false })).toEqual([]);
  });

  it("still checks the TLS hosts it is given in a zone configured without TLS", async () => {
    const foreign = ingress({ tls: [{ hosts: ["bank.example.com"], secretName: "bank-tls" }] });

    expect((await violations(foreign, { ...CONFIG, requireTls: false }))[0]).toMatch(
      /^spec\.tls\[0\]\.hosts\[0\] 'bank\.example\.com' is neither/,
    );
  });

  it("refuses TLS that does not cover every host", async () => {
    const partial = ingress({ tls: [{ hosts: [APP_HOST], secretName: "web-tls" }] });

    expect(await violations(partial)).toEqual([`spec.tls must cover host '${VERIFIED_DOMAIN}'`]);
  });

  it("refuses TLS without a secret name", async () => {
    const noSecret = ingress({ tls: [{ hosts: [APP_HOST, VERIFIED_DOMAIN] }] });

    expect(await violations(noSecret)).toEqual(["spec.tls[0].secretName must be set"]);
  });

  it("refuses an ingress-nginx server alias, which adds unchecked hosts", async () => {
    const alias = ingress(
      {},
      { annotations: { "nginx.ingress.kubernetes.io/server-alias": "www.example.net" } },
    );

    expect(await violations(alias)).toEqual([
      "metadata.annotations['nginx.ingress.kubernetes.io/server-alias'] must not be set: it serves hosts the rules do not check",
    ]);
  });

  it("accepts a Knative DomainMapping of a verified domain", async () => {
    expect(await violations(domainMapping(VERIFIED_DOMAIN))).toEqual([]);
  });

  it("refuses a Knative DomainMapping of another domain", async () => {
    expect(await violations(domainMapping("bank.example.com"))).toEqual([
      `metadata.name 'bank.example.com' is neither one label under ${BASE_DOMAIN} nor a verified domain of the project (verified: ${VERIFIED_DOMAIN})`,
    ]);
  });

  describe("without config", () => {
    it("refuses every host, as none is under a base domain", async () => {
      expect(await violations(ingress(), {})).toEqual([
        `spec.rules[0].host '${APP_HOST}' is neither under the zone's base domain (none configured) nor a verified domain of the project (verified: none)`,
        `spec.rules[1].host '${VERIFIED_DOMAIN}' is neither under the zone's base domain (none configured) nor a verified domain of the project (verified: none)`,
        expect.stringMatching(/^spec\.tls\[0\]\.hosts\[0\]/),
        expect.stringMatching(/^spec\.tls\[0\]\.hosts\[1\]/),
      ]);
    });
  });
});
