import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readStateConfig } from "../../automation-api/shared-state.js";
import {
  postgresBackendUrl,
  sharedStateEnv,
  writePassfile,
} from "../../automation-api/runner/state-backend.js";
import { zoneEngineEnv } from "../../automation-api/runner/zone-engine-env.js";
import { parseZoneSpec, type ZoneSpec } from "../../spec/zone.js";

const scratch = mkdtempSync(join(tmpdir(), "pluskube-shared-state-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function zone(overrides: Record<string, unknown> = {}): ZoneSpec {
  return parseZoneSpec({
    name: "lisbon",
    kubeconfig: "/etc/pluskube/lisbon/kubeconfig",
    baseDomain: "lisbon.example.org",
    ingressClass: "nginx",
    storageClass: "standard",
    chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
    capacity: { cpu: "8", memory: "32Gi", disk: "100Gi", databaseGB: 10, objectGB: 10 },
    reserve: { cpu: "1", memory: "1Gi", disk: "1Gi" },
    postgres: { host: "db.example.org", port: 5432, adminUser: "pluskube", passwordFile: "/x" },
    s3: {
      endpoint: "http://s3.example.org:8333",
      region: "lisbon",
      adminAccessKeyFile: join(scratch, "access"),
      adminSecretKeyFile: join(scratch, "secret"),
    },
    ...overrides,
  });
}

const KEY = "a".repeat(64);
const PASSPHRASE = "correct horse battery staple";

describe("the engine's postgres:// backend URL", () => {
  it("uses the scheme the engine knows and names the table", () => {
    const url = postgresBackendUrl("postgresql://svc:pw@db.example.org:5432/pluskube?sslmode=require");

    expect(url).toBe("postgres://svc:pw@db.example.org:5432/pluskube?sslmode=require&table=pulumi_state");
  });

  it("connects without TLS when the URL names no sslmode, as the service itself does", () => {
    expect(postgresBackendUrl("postgres://svc:pw@127.0.0.1:15432/pluskube", "state")).toBe(
      "postgres://svc:pw@127.0.0.1:15432/pluskube?sslmode=disable&table=state",
    );
  });

  it("leaves the password out when a password file holds it", () => {
    const url = postgresBackendUrl("postgres://svc:s3cr%3At@127.0.0.1/pluskube", "pulumi_state", "/d/pgpass");

    expect(url).not.toContain("s3cr");
    expect(new URL(url).searchParams.get("passfile")).toBe("/d/pgpass");
  });

  it("refuses another scheme and a table name that is not a plain SQL name", () => {
    expect(() => postgresBackendUrl("mysql://svc@db/x")).toThrow(/postgres:\/\//);
    expect(() => postgresBackendUrl("postgres://svc@db/x", "state; drop table x")).toThrow(
      /lower-case SQL name/,
    );
  });
});

describe("the state database's password file", () => {
  it("holds the URL's credentials in the .pgpass format, readable by its owner only", () => {
    const file = join(scratch, "pgpass");

    writePassfile("postgres://svc:p%3Aw%5Cd@127.0.0.1:15432/pluskube", file);

    expect(readFileSync(file, "utf8")).toBe("127.0.0.1:15432:pluskube:svc:p\\:w\\\\d\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe("the engine environment of shared state", () => {
  it("adds nothing for the file backend", () => {
    expect(sharedStateEnv({ kind: "file" }, "/d/passphrase")).toEqual({});
  });

  it("names the database, the shared passphrase, and falls back to the state's secrets settings", () => {
    const env = sharedStateEnv(
      {
        kind: "postgres",
        databaseUrl: "postgres://svc:pw@db/pluskube",
        table: "pulumi_state",
        passfile: "/d/pgpass",
      },
      "/d/passphrase",
    );

    expect(env).toEqual({
      PULUMI_BACKEND_URL:
        "postgres://svc@db/pluskube?sslmode=disable&table=pulumi_state&passfile=%2Fd%2Fpgpass",
      PULUMI_CONFIG_PASSPHRASE_FILE: "/d/passphrase",
      PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "true",
    });
  });
});

describe("the state settings", () => {
  it("default to the data folder's file backend", () => {
    expect(readStateConfig({})).toMatchObject({
      backend: "file",
      table: "pulumi_state",
    });
  });

  it("take shared state with a passphrase and a secrets key given to every instance", () => {
    const config = readStateConfig({
      PLUSKUBE_STATE_BACKEND: "postgres",
      PLUSKUBE_STATE_PASSPHRASE: PASSPHRASE,
      PLUSKUBE_SECRETS_KEY: KEY,
    });

    expect(config).toMatchObject({ backend: "postgres", passphrase: PASSPHRASE });
  });

  it.each([
    [{ PLUSKUBE_STATE_BACKEND: "postgres", PLUSKUBE_SECRETS_KEY: KEY }, /needs PLUSKUBE_STATE_PASSPHRASE/],
    [
      { PLUSKUBE_STATE_BACKEND: "postgres", PLUSKUBE_STATE_PASSPHRASE: PASSPHRASE },
      /needs PLUSKUBE_SECRETS_KEY/,
    ],
    [
      { PLUSKUBE_STATE_BACKEND: "s3", PLUSKUBE_STATE_PASSPHRASE: PASSPHRASE, PLUSKUBE_SECRETS_KEY: KEY },
      /PLUSKUBE_STATE_BACKEND/,
    ],
    [{ PLUSKUBE_STATE_PASSPHRASE: PASSPHRASE }, /is for shared state/],
    [{ PLUSKUBE_STATE_BACKEND: "etcd" }, /PLUSKUBE_STATE_BACKEND/],
    [
      { PLUSKUBE_STATE_BACKEND: "postgres", PLUSKUBE_STATE_PASSPHRASE: "short", PLUSKUBE_SECRETS_KEY: KEY },
      /16/,
    ],
  ])("refuse %j", (env, problem) => {
    expect(() => readStateConfig(env)).toThrow(problem);
  });
});

describe("the engine environment of a zone", () => {
  const base = { KUBECONFIG: "/home/op/.local/share/pluskube/localzone/kubeconfig", PATH: "/bin" };

  it("points at the zone's own kubeconfig", () => {
    expect(zoneEngineEnv(base, zone(), {})).toEqual({
      ...base,
      KUBECONFIG: "/etc/pluskube/lisbon/kubeconfig",
    });
  });

  it("uses the service's own kubeconfig, not the local zone's, for a zone that names none", () => {
    const ambient = zone({ kubeconfig: undefined });

    expect(zoneEngineEnv(base, ambient, { KUBECONFIG: "/srv/kube/config" })["KUBECONFIG"]).toBe(
      "/srv/kube/config",
    );
    expect(zoneEngineEnv(base, ambient, {})).not.toHaveProperty("KUBECONFIG");
  });
});
