import { statSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestService } from "../service/harness.js";
import { freshConfig, pluskube, recordingServer } from "./run-cli.js";

let service: TestService;
let ana: string;
let bob: string;

beforeAll(async () => {
  service = await TestService.start();
  ana = await service.user("ana");
  bob = await service.user("bob");
});
afterAll(async () => service.close());

/** Who the CLI called the service as, according to the service. */
async function userOf(run: { code: number | null; stdout: string; stderr: string }): Promise<string> {
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return (JSON.parse(run.stdout) as { user: { name: string } }).user.name;
}

describe("pluskube login", () => {
  it("keeps named profiles in a file only its owner reads, and never prints the token", async () => {
    const config = freshConfig();
    const env = { PLUSKUBE_CONFIG: config };

    const first = await pluskube(["login", "--endpoint", service.url, "--project", "shop"], {
      env,
      input: `${ana}\n`,
    });
    const second = await pluskube(["login", "--endpoint", service.url, "--profile", "bob"], {
      env,
      input: bob,
    });
    const listed = await pluskube(["profiles"], { env });

    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/logged in to .* as ana .*profile 'default', project shop/);
    expect(second.stdout).toMatch(/as bob .*profile 'bob'/);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(config)).mode & 0o777).toBe(0o700);
    const file = JSON.parse(readFileSync(config, "utf8")) as {
      current: string;
      profiles: Record<string, unknown>;
    };
    expect(file.current).toBe("bob");
    expect(Object.keys(file.profiles).sort()).toEqual(["bob", "default"]);
    expect(listed.stdout).toMatch(/default\s+http:\S+\s+shop/);
    for (const output of [first, second, listed]) {
      expect(output.stdout + output.stderr).not.toContain(ana);
      expect(output.stdout + output.stderr).not.toContain(bob);
    }
  });

  it("refuses a token the service does not know, keeping no profile (exit 3)", async () => {
    const config = freshConfig();

    const run = await pluskube(["login", "--endpoint", service.url], {
      env: { PLUSKUBE_CONFIG: config },
      input: "pk_not-a-real-token-at-all-not-a-real-token-at-al",
    });

    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: GET \/v1\/me: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(() => statSync(config)).toThrow();
  });

  it("makes a profiles file written wider 0600 again", async () => {
    const config = freshConfig();
    await pluskube(["login", "--endpoint", service.url], { env: { PLUSKUBE_CONFIG: config }, input: ana });
    writeFileSync(config, readFileSync(config), { mode: 0o644 });

    await pluskube(["login", "--endpoint", service.url, "--profile", "again"], {
      env: { PLUSKUBE_CONFIG: config },
      input: ana,
    });

    expect(statSync(config).mode & 0o777).toBe(0o600);
  });
});

describe("endpoint and token", () => {
  let config: string;
  beforeAll(async () => {
    config = freshConfig();
    const login = await pluskube(["login", "--endpoint", service.url], {
      env: { PLUSKUBE_CONFIG: config },
      input: ana,
    });
    expect(login.code).toBe(0);
  });

  it("come from the profile when neither flag nor environment gives them", async () => {
    expect(await userOf(await pluskube(["whoami", "-o", "json"], { env: { PLUSKUBE_CONFIG: config } }))).toBe(
      "ana",
    );
  });

  it("come from the environment over the profile", async () => {
    const run = await pluskube(["whoami", "-o", "json"], {
      env: { PLUSKUBE_CONFIG: config, PLUSKUBE_TOKEN: bob },
    });

    expect(await userOf(run)).toBe("bob");
  });

  it("come from flags over the environment", async () => {
    const elsewhere = await recordingServer();
    try {
      const run = await pluskube(["whoami", "-o", "json", "--endpoint", service.url, "--token", ana], {
        env: { PLUSKUBE_CONFIG: config, PLUSKUBE_TOKEN: bob, PLUSKUBE_ENDPOINT: elsewhere.url },
      });

      expect(await userOf(run)).toBe("ana");
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it("take the environment's endpoint over the profile's", async () => {
    const elsewhere = await recordingServer();
    try {
      const run = await pluskube(["whoami"], {
        env: { PLUSKUBE_CONFIG: config, PLUSKUBE_ENDPOINT: elsewhere.url },
      });

      expect(run.code).toBe(1);
      expect(elsewhere.requests.map((request) => request.url)).toEqual(["/v1/me"]);
      expect(elsewhere.requests[0]?.headers.authorization).toBe(`Bearer ${ana}`);
    } finally {
      await elsewhere.close();
    }
  });

  it("are asked for, before any request, when nothing gives them (exit 2)", async () => {
    const run = await pluskube(["projects", "list"], { env: { PLUSKUBE_CONFIG: freshConfig() } });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /no endpoint: give --endpoint URL, set PLUSKUBE_ENDPOINT, or run pluskube login/,
    );
  });

  it("refuse a profile that does not exist, naming --profile (exit 2)", async () => {
    const run = await pluskube(["whoami", "--profile", "nope"], { env: { PLUSKUBE_CONFIG: config } });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--profile: no profile named 'nope'/);
  });

  it("say a service that cannot be reached is a failure (exit 1)", async () => {
    const gone = await recordingServer();
    await gone.close();

    const run = await pluskube(["whoami", "--endpoint", gone.url, "--token", ana]);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: cannot reach the service at ${gone.url}: ECONNREFUSED\n`);
    expect(run.stderr).not.toContain(ana);
  });
});

describe("the program", () => {
  it("prints its version", async () => {
    const run = await pluskube(["--version"]);

    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([[[]], [["run", "--help"]], [["databases", "create", "--help"]], [["vpc", "delete", "--help"]]])(
    "has help for %j",
    async (args) => {
      const run = await pluskube([...args, "--help"]);

      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: pluskube/);
      expect(run.stdout).toMatch(/--endpoint <url>/);
    },
  );

  it.each(["bash", "zsh"])("prints a %s completion script that completes subcommands", async (shell) => {
    const run = await pluskube(["completion", shell]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain("complete -F _pluskube pluskube");
    expect(run.stdout).toMatch(/\["databases"\]="[^"]*\bcredentials\b/);
    expect(run.stdout).toMatch(/\["run"\]="[^"]*--memory/);
  });

  it("refuses an unknown command as a usage error (exit 2)", async () => {
    const run = await pluskube(["frobnicate"]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
