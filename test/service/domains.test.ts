import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { policyConfigFor } from "../../policy/config.js";
import { ingressHosts } from "../../policy/rules/ingress-hosts.js";
import { ingress } from "../policy/fixtures.js";
import { messages, validateResource } from "../policy/harness.js";
import { TestDnsServer } from "./dns-server.js";
import { testZone, TestService } from "./harness.js";

interface DomainAnswer {
  /** Set on problem answers. */
  type?: string;
  detail?: string;
  domain: string;
  state: string;
  record: { type: string; name: string; value: string };
  hosts: { app: string; host: string }[];
  problem: string | null;
  missedChecks: number;
  checkedAt: string | null;
  operation?: { id: string };
}

let dns: TestDnsServer;
let service: TestService;
let ana: string;
let bob: string;

const ZONE_DOMAIN = "testzone.pluskube.test";

beforeAll(async () => {
  dns = await TestDnsServer.start();
  const domains = {
    resolvers: [dns.address],
    checkIntervalSeconds: 1,
    lapseAfterMissedChecks: 2,
    lookupTimeoutSeconds: 1,
  };
  service = await TestService.start({ zones: [testZone("testzone", { domains })] });
  ana = await service.user("ana");
  bob = await service.user("bob");
  await service.project(ana, "shop");
  await service.project(bob, "rival");
});
afterAll(async () => {
  await service.close();
  await dns.close();
});
beforeEach(() => {
  dns.mode = "answer";
});

const domainPath = (project: string, domain: string) => `/v1/projects/${project}/domains/${domain}`;

/** Adds a domain and publishes the record its answer names. */
async function addAndPublish(token: string, project: string, domain: string): Promise<DomainAnswer> {
  const added = await service.put<DomainAnswer>(domainPath(project, domain), token, undefined);
  expect(added.status, added.text).toBeLessThan(300);
  dns.publish(added.body.record.name, added.body.record.value);
  return added.body;
}

async function verify(token: string, project: string, domain: string) {
  return service.post<DomainAnswer>(`${domainPath(project, domain)}/verify`, token, undefined);
}

async function putApp(token: string, project: string, name: string, customDomains: string[]) {
  return service.put<{ id: string }>(`/v1/projects/${project}/apps/${name}`, token, {
    image: "nginx:1.27",
    customDomains,
  });
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The ingress-hosts config the policy pack got for the stack's last `up`. */
function lastIngressConfig(stack: string) {
  const policy = service.runner.ups(stack).at(-1)?.policy;
  if (!policy) throw new Error(`no run of ${stack}`);
  return policyConfigFor(policy)["ingress-hosts"];
}

const projectOf = async (token: string, name: string) =>
  (await service.get<{ verifiedDomains: string[] }>(`/v1/projects/${name}`, token)).body;

describe("a custom domain", () => {
  it("is added with the TXT record to publish, under _pluskube-challenge with the project's token", async () => {
    const added = await service.put<DomainAnswer>(domainPath("shop", "Shop.Example.ORG."), ana, undefined);

    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      domain: "shop.example.org",
      state: "pending",
      record: { type: "TXT", name: "_pluskube-challenge.shop.example.org" },
    });
    expect(added.body.record.value).toMatch(/^pluskube-verification=[A-Za-z0-9_-]{24}$/);
    expect((await projectOf(ana, "shop")).verifiedDomains).toEqual([]);
  });

  it("cannot be used by an app before it is verified", async () => {
    const refused = await putApp(ana, "shop", "web", ["shop.example.org"]);

    expect(refused.status).toBe(400);
    expect(refused.text).toContain("domain 'shop.example.org' is not verified for this project");
  });

  it("is verified once the record is out, and then apps may use it with the policy pack's consent", async () => {
    const added = await addAndPublish(ana, "shop", "shop.example.org");
    const verified = await verify(ana, "shop", "shop.example.org");
    const app = await putApp(ana, "shop", "web", ["shop.example.org"]);
    const done = await service.settle(ana, app.body.id);

    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ state: "verified", problem: null, record: added.record });
    expect((await projectOf(ana, "shop")).verifiedDomains).toEqual(["shop.example.org"]);
    expect(done["status"]).toBe("succeeded");
    const run = service.runner.ups("shop.testzone").at(-1);
    expect(run?.spec?.apps[0]?.customDomains).toEqual(["shop.example.org"]);
    // The pack judges the run with the verified domains the store holds.
    const config = lastIngressConfig("shop.testzone");
    const web = ingress({
      rules: [{ host: "shop.example.org", http: { paths: [] } }],
      tls: [{ hosts: ["shop.example.org"], secretName: "web-tls" }],
    });
    expect(messages(await validateResource(ingressHosts, web, config))).toEqual([]);
  });

  it("lists the apps' hosts it covers", async () => {
    const listed = await service.get<{ items: DomainAnswer[] }>("/v1/projects/shop/domains", ana);

    expect(listed.body.items).toEqual([
      expect.objectContaining({
        domain: "shop.example.org",
        hosts: [{ app: "web", host: "shop.example.org" }],
      }),
    ]);
  });

  it("is not verified by a record with another value (another project's token), and says what it found", async () => {
    const added = await service.put<DomainAnswer>(domainPath("shop", "blog.example.org"), ana, undefined);
    dns.publish(added.body.record.name, "pluskube-verification=not-this-projects-token");

    const refused = await verify(ana, "shop", "blog.example.org");

    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      type: "urn:pluskube:problem:domain-unverified",
      record: added.body.record,
    });
    expect(String(refused.body.detail)).toContain('"pluskube-verification=not-this-projects-token"');
    const read = await service.get<DomainAnswer>(domainPath("shop", "blog.example.org"), ana);
    expect(read.body).toMatchObject({
      state: "pending",
      problem: expect.stringContaining("not this project's value"),
    });
    expect((await projectOf(ana, "shop")).verifiedDomains).toEqual(["shop.example.org"]);
  });

  it("is not verified without any record", async () => {
    await service.put(domainPath("shop", "nothing.example.org"), ana, undefined);

    const refused = await verify(ana, "shop", "nothing.example.org");

    expect(refused.status).toBe(422);
    expect(String(refused.body.detail)).toContain("no TXT record at _pluskube-challenge.nothing.example.org");
  });
});

describe("another project's domain", () => {
  it("cannot be added while it is verified for another project of the zone", async () => {
    const refused = await service.put(domainPath("rival", "shop.example.org"), bob, undefined);

    expect(refused.status).toBe(409);
    expect(refused.body["type"]).toBe("urn:pluskube:problem:domain-taken");
    expect(refused.text).not.toContain("shop'");
  });

  it("cannot be claimed through a wildcard that covers it", async () => {
    const refused = await service.put(domainPath("rival", "*.example.org"), bob, undefined);

    expect(refused.status).toBe(409);
  });

  it("goes to the first project that verifies it when two wait for it", async () => {
    const rival = await addAndPublish(bob, "rival", "docs.example.org");
    const mine = await service.put<DomainAnswer>(domainPath("shop", "docs.example.org"), ana, undefined);
    dns.publish(rival.record.name, rival.record.value, mine.body.record.value);

    const first = await verify(bob, "rival", "docs.example.org");
    const second = await verify(ana, "shop", "docs.example.org");

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(second.body.type).toBe("urn:pluskube:problem:domain-taken");
    expect((await projectOf(ana, "shop")).verifiedDomains).not.toContain("docs.example.org");
  });
});

describe("the zone's own domain", () => {
  it.each([
    ZONE_DOMAIN,
    `web.${ZONE_DOMAIN}`,
    `*.${ZONE_DOMAIN}`,
    "*.pluskube.test",
    "a.b.testzone.pluskube.test",
  ])("can never be claimed: %s", async (domain) => {
    const refused = await service.put(domainPath("shop", domain), ana, undefined);

    expect(refused.status).toBe(422);
    expect(refused.body["type"]).toBe("urn:pluskube:problem:domain-not-claimable");
  });

  it("leaves a domain beside it claimable", async () => {
    expect((await service.put(domainPath("shop", "pluskube.test"), ana, undefined)).status).toBe(201);
    await service.delete(domainPath("shop", "pluskube.test"), ana);
  });
});

describe("a wildcard domain", () => {
  it("verified by the record at its domain's challenge name lets apps use every name under it", async () => {
    await addAndPublish(ana, "shop", "*.example.net");
    const verified = await verify(ana, "shop", "*.example.net");
    const app = await putApp(ana, "shop", "api", ["api.example.net", "v2.api.example.net"]);
    const apex = await putApp(ana, "shop", "apex", ["example.net"]);
    await service.settle(ana, app.body.id);

    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.record.name).toBe("_pluskube-challenge.example.net");
    expect(app.status).toBe(202);
    expect(apex.status).toBe(400);
    const config = lastIngressConfig("shop.testzone");
    const api = ingress({
      rules: [{ host: "v2.api.example.net", http: { paths: [] } }],
      tls: [{ hosts: ["v2.api.example.net"], secretName: "api-tls" }],
    });
    expect(config.verifiedDomains).toContain("*.example.net");
    expect(messages(await validateResource(ingressHosts, api, config))).toEqual([]);
  });
});

describe("members and tokens", () => {
  it("let read tokens list domains but only the owner's user token change them", async () => {
    const reader = await service.projectToken(ana, "shop", "read");
    const deployer = await service.projectToken(ana, "shop", "deploy");

    expect((await service.get("/v1/projects/shop/domains", reader)).status).toBe(200);
    expect((await service.put(domainPath("shop", "x.example.com"), deployer, undefined)).status).toBe(403);
    expect((await verify(deployer, "shop", "shop.example.org")).status).toBe(403);
    expect((await service.delete(domainPath("shop", "shop.example.org"), reader)).status).toBe(403);
    expect((await service.get("/v1/projects/shop/domains", bob)).status).toBe(404);
  });

  it("refuse a domain that is not a host name", async () => {
    const refused = await service.put(domainPath("shop", "not_a_host"), ana, undefined);

    expect(refused.status).toBe(400);
  });
});

describe("verification over time", () => {
  it("keeps a verified domain while the resolvers do not answer", async () => {
    dns.mode = "silent";
    const read = async () =>
      (await service.get<DomainAnswer>(domainPath("shop", "shop.example.org"), ana)).body;
    const first = await waitFor(read, (domain) => domain.problem?.includes("gave no answer") === true);
    // More unanswered looks than it takes a missing record to lapse.
    const later = await waitFor(
      read,
      (domain) => Date.parse(domain.checkedAt ?? "") >= Date.parse(first.checkedAt ?? "") + 2000,
    );

    expect(later).toMatchObject({
      state: "verified",
      missedChecks: 0,
      problem: expect.stringContaining("gave no answer"),
    });
    expect((await projectOf(ana, "shop")).verifiedDomains).toContain("shop.example.org");
  });

  it("lapses when the record disappears: the apps lose the host, with an operation saying why", async () => {
    dns.publish("_pluskube-challenge.shop.example.org");

    const lapsed = await waitFor(
      async () => (await service.get<DomainAnswer>(domainPath("shop", "shop.example.org"), ana)).body,
      (domain) => domain.state === "lapsed",
    );
    const operations = await service.get<{ items: { id: string; request: string }[] }>(
      "/v1/projects/shop/operations",
      ana,
    );
    const notice = operations.body.items.find((operation) => operation.request.startsWith("LAPSE"));
    await service.settle(ana, notice?.id ?? "");
    const web = await service.get<{ customDomains: string[] }>("/v1/projects/shop/apps/web", ana);

    expect(lapsed.problem).toContain("no TXT record at _pluskube-challenge.shop.example.org");
    expect(notice?.request).toBe(
      "LAPSE domains/shop.example.org: the verification lapsed after 2 checks without the record; removed shop.example.org (app web)",
    );
    expect(web.body.customDomains).toEqual([]);
    expect((await projectOf(ana, "shop")).verifiedDomains).not.toContain("shop.example.org");
    expect(
      service.runner
        .ups("shop.testzone")
        .at(-1)
        ?.spec?.apps.find((app) => app.name === "web"),
    ).toMatchObject({ customDomains: [] });
  });

  it("frees a lapsed domain for another project", async () => {
    const rival = await addAndPublish(bob, "rival", "shop.example.org");

    expect((await verify(bob, "rival", "shop.example.org")).status).toBe(200);
    expect(rival.state).toBe("pending");
  });

  it("verifies a waiting domain on its own once the record is out", async () => {
    const added = await service.put<DomainAnswer>(domainPath("shop", "later.example.org"), ana, undefined);
    dns.publish(added.body.record.name, added.body.record.value);

    await waitFor(
      async () => (await projectOf(ana, "shop")).verifiedDomains,
      (domains) => domains.includes("later.example.org"),
    );
  });
});

describe("the OpenAPI document", () => {
  it("documents the domains' paths", async () => {
    const response = await service.request<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/openapi.json",
    );

    const operations = Object.entries(response.body.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        "GET /v1/projects/{project}/domains",
        "GET /v1/projects/{project}/domains/{domain}",
        "PUT /v1/projects/{project}/domains/{domain}",
        "POST /v1/projects/{project}/domains/{domain}/verify",
        "DELETE /v1/projects/{project}/domains/{domain}",
      ]),
    );
  });
});

describe("removing a domain", () => {
  it("takes its hosts out of the apps that use it, with an operation", async () => {
    const removed = await service.delete<{ id: string; request: string }>(
      domainPath("shop", "*.example.net"),
      ana,
    );
    await service.settle(ana, removed.body.id);
    const api = await service.get<{ customDomains: string[] }>("/v1/projects/shop/apps/api", ana);

    expect(removed.status).toBe(202);
    expect(removed.body.request).toBe("DELETE domains/*.example.net");
    expect(api.body.customDomains).toEqual([]);
    expect((await service.get(domainPath("shop", "*.example.net"), ana)).status).toBe(404);
    expect((await projectOf(ana, "shop")).verifiedDomains).not.toContain("*.example.net");
  });

  it("that was never verified changes nothing (204)", async () => {
    expect((await service.delete(domainPath("shop", "nothing.example.org"), ana)).status).toBe(204);
    expect((await service.delete(domainPath("shop", "nothing.example.org"), ana)).status).toBe(204);
  });
});
