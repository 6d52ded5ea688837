import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePod } from "../service/fake-namespace.js";
import { runtimeFixture, type RuntimeFixture } from "../service/app-runtime/fixture.js";
import { freshConfig, pluskube, pluskubeOnTerminal, startPluskube, type CliRun } from "./run-cli.js";

let f: RuntimeFixture;
let env: Record<string, string>;

beforeAll(async () => {
  f = await runtimeFixture();
  env = {
    PLUSKUBE_ENDPOINT: f.service.url,
    PLUSKUBE_TOKEN: f.ana,
    PLUSKUBE_PROJECT: "shop",
    PLUSKUBE_CONFIG: freshConfig(),
  };
  f.shop.apps.set("web", {
    deployments: [],
    replicaSets: [],
    pods: [fakePod("web-a"), fakePod("web-b", { restarts: 2 })],
    events: [],
  });
  f.shop.logs.set("web-a", "a1\na2\na3\n");
  f.shop.logs.set("web-b", "b1\n");
  f.shop.usage = [
    { pod: "web-a", cpuMillis: 100, memoryBytes: 200 * 2 ** 20 },
    { pod: "web-b", cpuMillis: 50, memoryBytes: 100 * 2 ** 20 },
  ];
});
afterAll(async () => f.service.close());

const cli = (...args: string[]) => pluskube(args, { env });
const json = <T = Record<string, unknown>>(run: CliRun): T => {
  expect(run.stderr, run.stderr).not.toMatch(/error/);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
};
/** An item of shop as the service holds it. */
const item = async (collection: string, name: string) =>
  (await f.service.get(`/v1/projects/shop/${collection}/${name}`, f.ana)).body;

/** Deletes an app through the API, giving its share back for the tests that follow. */
async function removeApp(name: string): Promise<void> {
  const deleted = await f.service.delete<{ id: string }>(`/v1/projects/shop/apps/${name}`, f.ana);
  await f.service.settle(f.ana, deleted.body.id);
}

describe("projects", () => {
  it("are created, listed, read and deleted, following each change with --wait", async () => {
    const created = json<{ status: string }>(
      await cli("projects", "create", "cart", "--zone", "testzone", "--wait", "-o", "json"),
    );
    const listed = json<{ items: { name: string }[] }>(await cli("projects", "list", "-o", "json"));
    const read = await cli("projects", "get", "cart");
    const deleted = await cli("projects", "delete", "cart", "--wait");
    const again = await cli("projects", "delete", "cart");

    expect(created.status).toBe("succeeded");
    expect(listed.items.map((project) => project.name)).toEqual(["cart", "shop"]);
    expect(read.stdout).toMatch(/zone:\s+testzone/);
    expect(deleted.stdout).toMatch(/operation \S+ succeeded/);
    expect((await f.service.get("/v1/projects/cart", f.ana)).status).toBe(404);
    expect(again).toMatchObject({ code: 0, stdout: "there is no project cart\n" });
  });

  it("print the API's JSON with -o json", async () => {
    const run = await cli("projects", "get", "shop", "-o", "json");

    expect(json(run)).toEqual((await f.service.get("/v1/projects/shop", f.ana)).body);
  });

  it("ask for the zone when the service has several (exit 2)", async () => {
    const run = await cli("projects", "create", "cart");

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--zone: name the zone, one of: testzone, otherzone/);
  });
});

describe("apps", () => {
  it("run an image with the resources, user, environment, folder, command and arguments given", async () => {
    const run = await cli(
      ...["run", "--image", "busybox:1.37", "--name", "clock", "--memory", "268435456", "--cpu", "0.5"],
      ...["--disk", "1GiB", "--user", "1000", "--env", "A=1", "--env", "B=x=y", "--dir", "/work"],
      ...["--port", "9000", "--wait", "--", "sh", "-c", "while date; do sleep 5; done"],
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/operation \S+ succeeded/);
    // Where the app answers, as the member's next step.
    expect(run.stdout).toMatch(/^url: https:\/\/clock-\S+$/m);
    expect(await item("apps", "clock")).toMatchObject({
      image: "busybox:1.37",
      memory: "268435456",
      cpu: "0.5",
      disk: "1Gi",
      user: 1000,
      env: { A: "1", B: "x=y" },
      workingDir: "/work",
      port: 9000,
      args: ["sh", "-c", "while date; do sleep 5; done"],
      deployed: true,
    });
  });

  it("run with --command replacing the entrypoint, named after the image, in the --vpc given", async () => {
    const run = await pluskube(
      [
        "run",
        "--image",
        "ghcr.io/shop/api-server:2",
        "--vpc",
        "shop",
        "--command",
        "--wait",
        "--",
        "/srv",
        "-v",
      ],
      {
        env: { ...env, PLUSKUBE_PROJECT: "" },
      },
    );

    expect(run.code).toBe(0);
    expect(await item("apps", "api-server")).toMatchObject({ command: ["/srv"], args: ["-v"] });
    await removeApp("api-server");
  });

  it("say where to follow a change made without --wait, and watch follows it to its end", async () => {
    const run = await cli("apps", "deploy", "hello", "--image", "nginx:1.27");
    const id = /operation (\S+)/.exec(run.stdout)?.[1] ?? "";

    const watched = await cli("watch", id);

    expect(run.stdout).toMatch(/^accepted: operation \S+ \(follow it with: pluskube watch \S+\)\n$/);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toBe(`operation ${id} succeeded\n`);
    // Not a terminal: plain lines, one per event, no spinner.
    expect(watched.stderr).toMatch(/^run update started \(attempt 1\)\n/);
    expect(watched.stderr).toMatch(/create pluskube:index:TenantNamespace shop: done\n/);
    expect(watched.stderr).not.toContain("\r");
    expect(watched.stderr).not.toContain("\u001b[");
    await removeApp("hello");
  });

  it("say at once that a change asking for what already runs had nothing to do", async () => {
    const first = await cli("apps", "deploy", "same", "--image", "nginx:1.27", "--wait");
    const again = await cli("apps", "deploy", "same", "--image", "nginx:1.27");

    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /^operation \S+ succeeded: nothing to change: the project already runs this spec\n$/,
    );
    await removeApp("same");
  });

  it("watch shows a spinner on a terminal while the run goes on", async () => {
    // A frame redraws the line: carriage return, erase the line (ESC [2K), then a spinner glyph,
    // the operation and what runs now.
    const hasFrame = (text: string) =>
      text
        .split("\r\u001b[2K")
        .slice(1)
        .some((line) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \S{8} \S/.test(line));
    // The run waits until the terminal shows a frame, so the watch always meets it running:
    // a watch that starts after the run ended replays its events and draws no frame.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
      setTimeout(resolve, 30_000);
    });
    f.service.runner.onRun = () => held;
    try {
      const run = await cli("apps", "deploy", "spun", "--image", "nginx:1.27");
      const id = /operation (\S+)/.exec(run.stdout)?.[1] ?? "";

      const watched = await pluskubeOnTerminal(["watch", id], {
        env,
        onStdout: (soFar) => {
          if (hasFrame(soFar)) release();
        },
      });

      expect(watched.code).toBe(0);
      expect(hasFrame(watched.stdout)).toBe(true);
      expect(watched.stdout).toContain("create pluskube:index:TenantNamespace shop: done");
      expect(watched.stdout).toContain(`operation ${id} succeeded`);
    } finally {
      release();
      f.service.runner.onRun = undefined;
      await removeApp("spun");
    }
  });

  it("update some settings, keeping the others, and scale", async () => {
    const updated = await cli(
      "apps",
      "update",
      "clock",
      "--env",
      "C=3",
      "--unset-env",
      "A",
      "--memory",
      "512Mi",
      "--wait",
    );
    const scaled = await cli("apps", "scale", "clock", "2", "--wait");

    expect(updated.code).toBe(0);
    expect(scaled.stderr).not.toMatch(/error/);
    expect(scaled.code).toBe(0);
    expect(await item("apps", "clock")).toMatchObject({
      env: { B: "x=y", C: "3" },
      memory: "512Mi",
      cpu: "0.5",
      replicas: 2,
    });
  });

  it("are listed and deleted; deleting one that is not there succeeds", async () => {
    const listed = await cli("apps", "list");
    const deleted = await cli("apps", "delete", "clock", "--wait");
    const again = await cli("apps", "delete", "clock");

    expect(listed.stdout).toMatch(/^NAME\s+IMAGE\s+REPLICAS\s+URL\s+DEPLOYED\n/);
    expect(listed.stdout).toMatch(
      /clock\s+busybox:1\.37\s+2\s+https:\/\/clock-a1b2c3\.testzone\.pluskube\.test\s+yes/,
    );
    expect(deleted.code).toBe(0);
    expect((await f.service.get("/v1/projects/shop/apps/clock", f.ana)).status).toBe(404);
    expect(again).toMatchObject({ code: 0, stdout: "there is no app clock\n" });
  });
});

describe("apps as they run", () => {
  it("status shows replicas and pods, and -o json is the API's document", async () => {
    const text = await cli("status", "web");
    const asJson = await cli("status", "web", "-o", "json");

    expect(text.stdout).toMatch(/^web: /);
    expect(text.stdout).toMatch(/web-b\s+Running\s+yes\s+2/);
    expect(json(asJson)).toEqual((await f.service.get("/v1/projects/shop/apps/web/status", f.ana)).body);
  });

  it("status of several apps reads each, failing as the one not found does (exit 3)", async () => {
    const run = await cli("status", "web", "nope", "-o", "json");

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
    expect(run.stderr).toMatch(/error: GET \/v1\/projects\/shop\/apps\/nope\/status: .*'nope'/);
  });

  it("metrics shows each pod's use and the app's", async () => {
    const run = await cli("metrics", "web");

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/web-a\s+100m\s+250m\s+200Mi\s+512Mi/);
    expect(run.stdout).toMatch(/\(web, all pods\)\s+150m/);
  });

  it("metrics --hour adds the app's last hour as bars with their peaks, and to JSON", async () => {
    await f.service.appUsage.pass();

    const text = await cli("metrics", "web", "--hour");
    const doc = json<{ history: { samples: { cpuMillis: number }[] } }>(
      await cli("metrics", "web", "--hour", "-o", "json"),
    );

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Last hour, sampled every 60 s/);
    expect(text.stdout).toMatch(/ {2}CPU {5}.*[▁-█] {2}peak 150m/);
    expect(text.stdout).toMatch(/ {2}memory {2}.*[▁-█] {2}peak 300Mi/);
    expect(doc.history.samples.at(-1)?.cpuMillis).toBe(150);
  });

  it("logs prints every pod's lines, or one pod's last ones", async () => {
    const all = await cli("logs", "web");
    const last = await cli("logs", "web", "--pod", "web-a", "--tail", "1");

    expect(all.stdout).toContain("[web-a] a1\n");
    expect(all.stdout).toContain("[web-b] b1\n");
    expect(last.stdout).toBe("a3\n");
  });

  it("logs -f follows new lines until interrupted", async () => {
    const running = startPluskube(["logs", "web", "--pod", "web-a", "-f", "--tail", "1"], { env });
    await expect.poll(() => running.stdout(), { timeout: 15_000 }).toBe("a3\n");

    f.shop.followed.get("web-a")?.write("a4\n");
    await expect.poll(() => running.stdout(), { timeout: 15_000 }).toBe("a3\na4\n");
    running.child.kill("SIGINT");

    expect((await running.done).code).toBe(130);
  });
});

/** Sends `text` through a local port and resolves with the first answer. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.once("data", (data) => {
      resolve(data.toString("utf8"));
      socket.end();
    });
    socket.once("error", reject);
  });
}

describe("port-forward", () => {
  it.each([
    [["port-forward", "web", "--port", "8080", "--bind", "127.0.0.1:0"]],
    [["local-remote", "serve", "--container-id", "web", "--container-port", "8080", "--bind", "0"]],
  ])("%j serves a local port tunnelled to the app's pod until interrupted", async (args) => {
    const running = startPluskube(args, { env: { ...env, PLUSKUBE_TOKEN: f.deployer } });
    await expect
      .poll(() => running.stdout(), { timeout: 15_000 })
      .toMatch(/^forwarding 127\.0\.0\.1:\d+ -> web:8080\n$/);
    const port = Number(/:(\d+) ->/.exec(running.stdout())?.[1]);

    expect(await exchange(port, "ping")).toBe("PING");
    expect(await exchange(port, "again")).toBe("AGAIN");

    running.child.kill("SIGINT");
    expect((await running.done).code).toBe(130);
  });

  it("reports a refused tunnel on stderr and keeps serving", async () => {
    const running = startPluskube(["port-forward", "web", "--port", "8080", "--bind", "0"], {
      env: { ...env, PLUSKUBE_TOKEN: f.reader },
    });
    await expect.poll(() => running.stdout(), { timeout: 15_000 }).toMatch(/^forwarding/);
    const port = Number(/:(\d+) ->/.exec(running.stdout())?.[1]);

    await new Promise<void>((resolve) => connect(port, "127.0.0.1").on("close", () => resolve()));
    running.child.kill("SIGINT");
    const ended = await running.done;

    expect(ended.stderr).toBe(
      "error: port-forward to web:8080 refused: a 'read' token cannot open a port-forward; use a 'deploy' token or a user token\n",
    );
    expect(ended.stderr).not.toContain(f.reader);
  });
});

describe("databases, buckets and volumes", () => {
  it("databases are created, resized, revealed and deleted", async () => {
    const created = await cli(
      "databases",
      "create",
      "main",
      "--size",
      "1",
      "--connection-limit",
      "10",
      "--wait",
    );
    const resized = await cli("databases", "resize", "main", "--size", "2GB", "--wait");
    f.clusters.addSecret("testzone", "shop", "database-main", { DATABASE_URL: "postgres://main@db/main" });
    const revealed = await cli("databases", "credentials", "main");

    expect(created.code).toBe(0);
    expect(resized.code).toBe(0);
    expect(await item("databases", "main")).toMatchObject({ sizeGB: 2, connectionLimit: 10 });
    expect(revealed).toMatchObject({ code: 0, stdout: "DATABASE_URL=postgres://main@db/main\n" });

    const deleted = await cli("databases", "delete", "main", "gone", "--wait");
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain("gone: no such database (nothing to delete)");
  });

  it("buckets are created and listed", async () => {
    const created = await cli("buckets", "create", "media", "--size", "1", "--wait");
    const listed = await cli("buckets", "list");

    expect(created.code).toBe(0);
    expect(listed.stdout).toMatch(/media\s+1GB\s+bucket-media\s+yes/);
  });

  it("volumes are persistent with --persistent, else ephemeral, and mounted by run --volume", async () => {
    await cli("volume", "create", "--name", "data", "--size", "1GiB", "--persistent", "--wait");
    await cli("volume", "create", "scratch", "--size", "268435456", "--wait");
    const mounted = await cli(
      "run",
      "--image",
      "nginx:1.27",
      "--name",
      "mounter",
      "--volume",
      "data:/data:ro",
      "--wait",
    );

    expect(await item("volumes", "data")).toMatchObject({ size: "1Gi", kind: "persistent" });
    expect(await item("volumes", "scratch")).toMatchObject({ size: "268435456", kind: "ephemeral" });
    expect(mounted.code).toBe(0);
    expect(await item("apps", "mounter")).toMatchObject({
      volumes: [{ volume: "data", mountPath: "/data", readOnly: true }],
    });
  });

  it("a volume in use is not deleted (exit 3); one that does not exist is", async () => {
    const run = await cli("volume", "delete", "data", "nothere");

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error: data: .*mount/);
    expect(run.stdout).toContain("nothere: no such volume (nothing to delete)");
    expect((await f.service.get("/v1/projects/shop/volumes/data", f.ana)).status).toBe(200);
  });
});

describe("vpcs", () => {
  it("are projects: created, listed, and deleted when not in use", async () => {
    const created = await cli("vpc", "create", "--name", "net", "--zone", "testzone", "--wait");
    const listed = await cli("vpc", "list");
    const deleted = await cli("vpc", "delete", "net", "nothere", "--wait");

    expect(created.code).toBe(0);
    expect(listed.stdout).toMatch(/\nnet\s+testzone\s+active/);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain("nothere: no such VPC (nothing to delete)");
    expect((await f.service.get("/v1/projects/net", f.ana)).status).toBe(404);
  });

  it("in use are not deleted (exit 3)", async () => {
    const run = await cli("vpc", "delete", "shop");

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/shop is in use: it holds \d+ apps/);
    expect((await f.service.get("/v1/projects/shop", f.ana)).body).toMatchObject({ status: "active" });
  });
});

describe("secret variables", () => {
  it("are set from stdin, listed by name only, and unset", async () => {
    const set = await pluskube(["secret-env", "set", "web", "API_KEY", "--wait"], {
      env,
      input: "s3cret-value\n",
    });
    const listed = await cli("secret-env", "list", "web");
    const unset = await cli("secret-env", "unset", "web", "API_KEY", "--wait");
    const after = await cli("secret-env", "list", "web", "-o", "json");

    expect(set.code).toBe(0);
    expect(listed.stdout).toMatch(/API_KEY/);
    expect(listed.stdout + set.stdout + set.stderr).not.toContain("s3cret-value");
    expect(unset.code).toBe(0);
    expect(json(after)).toEqual({ items: [], next: null });
  });
});

describe("tokens", () => {
  it("are created (shown once), listed without their secret, and revoked", async () => {
    const created = await cli("tokens", "create", "ci", "--scope", "deploy", "--expires-in", "1h");
    const token = created.stdout.trim();
    const listed = await cli("tokens", "list", "--project-tokens", "-o", "json");
    const entry = json<{ items: { id: string; name: string; scope: string; expiresAt: string | null }[] }>(
      listed,
    ).items.find((item) => item.name === "ci");
    const works = await pluskube(["whoami", "-o", "json"], { env: { ...env, PLUSKUBE_TOKEN: token } });
    const revoked = await cli("tokens", "revoke", entry?.id ?? "");
    const after = await pluskube(["whoami"], { env: { ...env, PLUSKUBE_TOKEN: token } });

    expect(created.code).toBe(0);
    expect(token).toMatch(/^pk_\S+$/);
    expect(entry).toMatchObject({ scope: "deploy", expiresAt: expect.any(String) });
    expect(listed.stdout).not.toContain(token);
    expect(json<{ token: { scope: string } }>(works).token.scope).toBe("deploy");
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${entry?.id}\n` });
    expect(after.code).toBe(3);
  });
});

describe("quota and zones", () => {
  it("quota -o json is the API's document", async () => {
    const run = await cli("quota", "--zone", "testzone", "-o", "json");

    expect(json(run)).toEqual((await f.service.get("/v1/quota?zone=testzone", f.ana)).body);
  });

  it("zones are listed", async () => {
    const run = await cli("zones");

    expect(run.stdout).toMatch(/testzone\s+testzone\.pluskube\.test\s+250m CPU, 512Mi memory, 1Gi disk/);
  });
});

describe("refusals and failures", () => {
  it("a request beyond the share is refused with the problem's detail (exit 3)", async () => {
    const run = await cli("apps", "scale", "web", "50");

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: PATCH \/v1\/projects\/shop\/apps\/web: .*share/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("a read token may not deploy (exit 3)", async () => {
    const run = await pluskube(["run", "--image", "nginx:1.27"], {
      env: { ...env, PLUSKUBE_TOKEN: f.reader },
    });

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/this token is read-only/);
    expect(run.stderr).not.toContain(f.reader);
  });

  it("a body the service refuses shows each field path", async () => {
    const run = await cli("databases", "create", "huge", "--size", "5000");

    expect(run.code).toBe(3);
    expect(run.stderr).toContain("\n  sizeGB: must be at most 1024\n");
  });

  it("--wait exits 3 with the operation's message when a policy refuses the run", async () => {
    f.service.runner.refuse.set("shop", "tenant-quota: the project asks more than its share");
    try {
      const run = await cli("apps", "scale", "web", "2", "--wait");

      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/operation \S+ failed/);
      expect(run.stderr).toMatch(/error: operation \S+ failed: .*tenant-quota/);
    } finally {
      f.service.runner.refuse.delete("shop");
    }
  });
});
