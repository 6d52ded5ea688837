/**
 * A member wires their app to its project's database and bucket, gives it secret variables and a
 * private registry's credentials, through the service with the real engine on the local zone:
 * the pod spec refers to Secrets only, the Secrets hold the keys, the stack's state holds no
 * secret value in plain text, the credentials a member reveals open the database, and the
 * database's and bucket's status tell what they hold.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateDir } from "../../localzone/engine-env.js";
import { simulatedZone } from "../../localzone/zone.js";
import { kubeGet } from "./helpers/local-zone.js";
import { MemberService } from "./helpers/member-service.js";
import { uniqueProject } from "./helpers/project-stack.js";

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type PodTemplate = {
  metadata: { annotations?: Record<string, string> };
  spec: { containers: { env?: EnvVar[] }[]; imagePullSecrets?: { name: string }[] };
};

const SECRET_VALUE = "it-secret-value-9f3c1e";
const REGISTRY_PASSWORD = "it-registry-password-4b7d2a";
const project = uniqueProject("it-wire");
const zone = simulatedZone();

let member: MemberService;

/**
 * Files of the file backend that hold this project's stack state, its history and backups included.
 * The backend holds every stack of the machine (and, written by older versions, copies of removed
 * ones), tens of thousands of files on a used machine, so the walk goes only into folders named
 * for this stack and yields as it reads: a walk that held this process for seconds would hold the
 * service under test with it.
 */
async function stateFiles(dir: string): Promise<string[]> {
  const stack = `${project}.local`;
  const found: string[] = [];
  // `.pulumi/<kind>/<pulumi project>/` holds one entry per stack: a file, or a folder of them.
  const walk = async (folder: string, depth: number, ours: boolean): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const named = ours || entry.name.includes(stack);
      if (entry.isDirectory() && (depth < 3 || named)) await walk(path, depth + 1, named);
      else if (entry.isFile() && named) found.push(path);
    }
  };
  await walk(dir, 0, false);
  return found;
}

beforeAll(async () => {
  member = await MemberService.start("it-wiring", zone);
  await member.apply(`/v1/projects/${project}`, { zone: "local" });
  await member.apply(`/v1/projects/${project}/databases/main`, { sizeGB: 1 });
  await member.apply(`/v1/projects/${project}/buckets/media`, { sizeGB: 1 });
  await member.apply(`/v1/projects/${project}/apps/web`, { image: "nginx:1.27" });
  await member.apply(`/v1/projects/${project}/apps/web/secret-env/API_KEY`, { value: SECRET_VALUE });
  await member.apply(`/v1/projects/${project}/registries/registry.example.org`, {
    username: "ci",
    password: REGISTRY_PASSWORD,
  });
}, 1_800_000);

afterAll(async () => {
  await member?.close([project]);
}, 900_000);

describe("an app wired to its project's claims, secret variables and registry", () => {
  let template: PodTemplate;

  beforeAll(async () => {
    const deployment = await kubeGet<{ spec: { template: PodTemplate } }>(
      `/apis/apps/v1/namespaces/${project}/deployments/web`,
    );
    template = deployment.spec.template;
  });

  it("reads the database's and the bucket's credentials and its secret variable from Secrets", () => {
    const env = template.spec.containers[0]?.env ?? [];
    const refs = Object.fromEntries(env.map((variable) => [variable.name, variable.valueFrom?.secretKeyRef]));

    expect(refs["DATABASE_URL"]).toEqual({ name: "database-main", key: "DATABASE_URL" });
    expect(refs["PGPASSWORD"]).toEqual({ name: "database-main", key: "PGPASSWORD" });
    expect(refs["AWS_SECRET_ACCESS_KEY"]).toEqual({ name: "bucket-media", key: "AWS_SECRET_ACCESS_KEY" });
    expect(refs["S3_BUCKET"]).toEqual({ name: "bucket-media", key: "S3_BUCKET" });
    expect(refs["API_KEY"]).toEqual({ name: "app-web-env", key: "API_KEY" });
    expect(JSON.stringify(template)).not.toContain(SECRET_VALUE);
  });

  it("rolls with a checksum of the secret variables and pulls with the registry's Secret", () => {
    expect(template.metadata.annotations?.["pluskube.dev/secret-env-checksum"]).toMatch(/^[0-9a-f]{64}$/);
    expect(template.spec.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
  });

  it("has Secrets with the keys the pod refers to", async () => {
    const keys = async (name: string) =>
      Object.keys(
        (await kubeGet<{ data: Record<string, string> }>(`/api/v1/namespaces/${project}/secrets/${name}`))
          .data,
      ).sort();

    expect(await keys("database-main")).toEqual(
      ["DATABASE_URL", "PGDATABASE", "PGHOST", "PGPASSWORD", "PGPORT", "PGSSLMODE", "PGUSER"].sort(),
    );
    expect(await keys("bucket-media")).toEqual(
      ["AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET"].sort(),
    );
    expect(await keys("app-web-env")).toEqual(["API_KEY"]);
    const registry = await kubeGet<{ type: string; data: Record<string, string> }>(
      `/api/v1/namespaces/${project}/secrets/registry-credentials`,
    );
    expect(registry.type).toBe("kubernetes.io/dockerconfigjson");
    const config = Buffer.from(registry.data[".dockerconfigjson"] ?? "", "base64").toString("utf8");
    expect(JSON.parse(config)).toMatchObject({ auths: { "registry.example.org": { username: "ci" } } });
  });

  it("keeps every secret value out of the stack's state in plain text", async () => {
    const files = await stateFiles(stateDir());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toContain(SECRET_VALUE);
      expect(text, file).not.toContain(REGISTRY_PASSWORD);
    }
  });

  it("reveals the database's credentials to the member, and they open the database", async () => {
    const revealed = await member.service.post<{ variables: Record<string, string> }>(
      `/v1/projects/${project}/databases/main/credentials`,
      member.token,
      {},
    );
    expect(revealed.status, revealed.text).toBe(200);

    const client = new pg.Client({ connectionString: revealed.body.variables["DATABASE_URL"] });
    await client.connect();
    try {
      const { rows } = await client.query<{ user: string }>("select current_user as user");
      expect(rows[0]?.user).toBe(revealed.body.variables["PGUSER"]);
    } finally {
      await client.end();
    }
    const reveals = await member.get<{ items: { kind: string; item: string }[] }>(
      `/v1/projects/${project}/credential-reveals`,
    );
    expect(reveals.body.items).toContainEqual(expect.objectContaining({ kind: "database", item: "main" }));
  });

  it("reveals the bucket's endpoint and keys", async () => {
    const revealed = await member.service.post<{ variables: Record<string, string> }>(
      `/v1/projects/${project}/buckets/media/credentials`,
      member.token,
      {},
    );

    expect(revealed.status, revealed.text).toBe(200);
    expect(Object.keys(revealed.body.variables)).toEqual(
      expect.arrayContaining(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET"]),
    );
  });

  it("tells the database's size and open connections against its limits, from the zone's PostgreSQL", async () => {
    const revealed = await member.service.post<{ variables: Record<string, string> }>(
      `/v1/projects/${project}/databases/main/credentials`,
      member.token,
      {},
    );
    const client = new pg.Client({ connectionString: revealed.body.variables["DATABASE_URL"] });
    await client.connect();
    type DatabaseStatus = {
      sizeBytes: { used: number; limit: number };
      connections: { used: number; limit: number | null };
    };
    const path = `/v1/projects/${project}/databases/main/status`;
    try {
      const before = await member.get<DatabaseStatus>(path);
      await client.query("create table if not exists filler (body text)");
      await client.query("insert into filler select repeat('x', 1000) from generate_series(1, 2000)");
      const after = await member.get<DatabaseStatus>(path);

      expect([before.status, after.status]).toEqual([200, 200]);
      // 2,000 rows of 1,000 bytes, stored uncompressed (too short for TOAST).
      expect(after.body.sizeBytes.used - before.body.sizeBytes.used).toBeGreaterThanOrEqual(2_000_000);
      expect(after.body.sizeBytes.limit).toBe(1e9);
      expect(after.body.connections.used).toBeGreaterThanOrEqual(1);
    } finally {
      await client.end();
    }
  });

  it("tells the bytes the bucket stores against its quota", async () => {
    const revealed = await member.service.post<{ variables: Record<string, string> }>(
      `/v1/projects/${project}/buckets/media/credentials`,
      member.token,
      {},
    );
    const vars = revealed.body.variables;
    const s3 = new S3Client({
      endpoint: zone.s3.endpoint,
      region: vars["AWS_REGION"],
      forcePathStyle: true,
      credentials: {
        accessKeyId: vars["AWS_ACCESS_KEY_ID"] ?? "",
        secretAccessKey: vars["AWS_SECRET_ACCESS_KEY"] ?? "",
      },
    });
    try {
      for (const [key, size] of [
        ["a.bin", 300_000],
        ["b/c.bin", 45_000],
      ] as const) {
        await s3.send(
          new PutObjectCommand({ Bucket: vars["S3_BUCKET"], Key: key, Body: Buffer.alloc(size, 7) }),
        );
      }
    } finally {
      s3.destroy();
    }
    const status = await member.get<{ bytes: { used: number | null; limit: number; note?: string } }>(
      `/v1/projects/${project}/buckets/media/status`,
    );

    expect(status.status).toBe(200);
    // A bucket's GB is binary (MIB_PER_GB), as SeaweedFS enforces the quota.
    expect(status.body.bytes).toEqual({ used: 345_000, limit: 2 ** 30 });
  });
});
