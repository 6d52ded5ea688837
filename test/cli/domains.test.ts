import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestDnsServer } from "../service/dns-server.js";
import { testZone, TestService } from "../service/harness.js";
import { freshConfig, pluskube } from "./run-cli.js";

let dns: TestDnsServer;
let service: TestService;
let env: Record<string, string>;

beforeAll(async () => {
  dns = await TestDnsServer.start();
  const domains = { resolvers: [dns.address], lookupTimeoutSeconds: 1 };
  service = await TestService.start({ zones: [testZone("testzone", { domains })] });
  const ana = await service.user("ana");
  await service.project(ana, "shop");
  env = {
    PLUSKUBE_ENDPOINT: service.url,
    PLUSKUBE_TOKEN: ana,
    PLUSKUBE_PROJECT: "shop",
    PLUSKUBE_CONFIG: freshConfig(),
  };
});
afterAll(async () => {
  await service.close();
  await dns.close();
});

const cli = (...args: string[]) => pluskube(args, { env });

describe("pluskube domains", () => {
  it("add prints the TXT record to publish", async () => {
    const run = await cli("domains", "add", "Shop.Example.org");

    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("then run: pluskube domains verify shop.example.org");
    expect(run.stdout).toMatch(
      /^_pluskube-challenge\.shop\.example\.org\. {2}TXT {2}"pluskube-verification=[A-Za-z0-9_-]+"\n$/,
    );
  });

  it("verify exits 3 with what it found while the record is not out", async () => {
    const run = await cli("domains", "verify", "shop.example.org");

    expect(run.code).toBe(3);
    expect(run.stderr).toContain("no TXT record at _pluskube-challenge.shop.example.org");
  });

  it("verify succeeds once the record is out, and run serves an app on the domain", async () => {
    const added = JSON.parse((await cli("domains", "add", "shop.example.org", "-o", "json")).stdout) as {
      record: { name: string; value: string };
    };
    dns.publish(added.record.name, added.record.value);

    const verified = await cli("domains", "verify", "shop.example.org");
    const run = await cli(
      ...["run", "--image", "nginx:1.27", "--name", "web", "--custom-domain", "shop.example.org", "--wait"],
    );

    expect(verified).toMatchObject({
      code: 0,
      stdout: "shop.example.org is verified: apps of shop may use it\n",
    });
    expect(run.code, run.stderr).toBe(0);
    expect((await service.get("/v1/projects/shop/apps/web", env["PLUSKUBE_TOKEN"] ?? "")).body).toMatchObject(
      {
        customDomains: ["shop.example.org"],
      },
    );
  });

  it("list and get show the state and the apps' hosts", async () => {
    const list = await cli("domains", "list");
    const get = await cli("domains", "get", "shop.example.org");

    expect(list.stdout).toMatch(/^DOMAIN\s+STATE\s+USED BY\s+CHECKED\s+PROBLEM\n/);
    expect(list.stdout).toMatch(/^shop\.example\.org\s+verified\s+shop\.example\.org\s+\d{4}-/m);
    expect(get.stdout).toMatch(/^state:\s+verified$/m);
    expect(get.stdout).toMatch(/^used by:\s+shop\.example\.org \(web\)$/m);
    expect(get.stdout).toMatch(
      /^record:\s+_pluskube-challenge\.shop\.example\.org TXT "pluskube-verification=/m,
    );
  });

  it("remove takes the host out of the app, following the operation with --wait", async () => {
    const run = await cli("domains", "remove", "shop.example.org", "--wait");
    const again = await cli("domains", "remove", "shop.example.org");

    expect(run.stdout).toMatch(/operation \S+ succeeded/);
    expect((await service.get("/v1/projects/shop/apps/web", env["PLUSKUBE_TOKEN"] ?? "")).body).toMatchObject(
      {
        customDomains: [],
      },
    );
    expect(again).toMatchObject({ code: 0, stdout: "shop.example.org is not a domain of shop (any more)\n" });
  });

  it("refuses a domain that is not a host name before sending anything (exit 2)", async () => {
    const run = await cli("domains", "add", "not_a_host");

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("must be a host name such as shop.example.org");
  });
});
