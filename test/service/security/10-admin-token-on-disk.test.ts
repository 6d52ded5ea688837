import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  adminTokenFile,
  removeDeadAdminTokenFile,
  rotateAdminToken,
  secureDataDir,
  watchAdminTokenFile,
  writeAdminTokenFile,
} from "../../../automation-api/domain/bootstrap.js";
import { TestService } from "../harness.js";

let service: TestService;
let admin: string;
const folders: string[] = [];

beforeAll(async () => {
  service = await TestService.start({ workers: false });
  admin = service.adminToken;
});
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
afterAll(async () => {
  await service.close();
});

function dataDir(): string {
  const folder = mkdtempSync(join(tmpdir(), "pluskube-data-"));
  folders.push(folder);
  return join(folder, "data");
}

async function until(done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

const mode = (path: string) => statSync(path).mode & 0o777;

async function adminTokenId(token: string): Promise<string> {
  const me = await service.get<{ token: { id: string } }>("/v1/me", token);
  return me.body.token.id;
}

async function newAdminToken(): Promise<string> {
  const created = await service.post<{ token: string }>("/v1/users/admin/tokens", admin, {
    name: "operator",
  });
  return created.body.token;
}

describe("the admin token file", () => {
  it("is removed as soon as its token is revoked", async () => {
    const dir = dataDir();
    const token = await newAdminToken();
    writeAdminTokenFile(dir, token);
    const stop = await watchAdminTokenFile(dir, service.store, service.bus, () => {});
    try {
      await service.delete(`/v1/users/admin/tokens/${await adminTokenId(token)}`, admin);
      await until(() => !existsSync(adminTokenFile(dir)));

      expect(existsSync(adminTokenFile(dir))).toBe(false);
    } finally {
      stop();
    }
  });

  it("is removed at start when its token was revoked while the service was down, and kept while it works", async () => {
    const revokedDir = dataDir();
    const workingDir = dataDir();
    const revoked = await newAdminToken();
    writeAdminTokenFile(revokedDir, revoked);
    writeAdminTokenFile(workingDir, await newAdminToken());
    await service.delete(`/v1/users/admin/tokens/${await adminTokenId(revoked)}`, admin);
    const lines: string[] = [];

    await removeDeadAdminTokenFile(revokedDir, service.store, (line) => lines.push(line));
    await removeDeadAdminTokenFile(workingDir, service.store, (line) => lines.push(line));

    expect(existsSync(adminTokenFile(revokedDir))).toBe(false);
    expect(existsSync(adminTokenFile(workingDir))).toBe(true);
    expect(lines).toEqual([expect.stringContaining("removed")]);
  });
});

describe("rotating the admin token", () => {
  it("replaces the token in the file and revokes the old one and the first start's", async () => {
    const dir = dataDir();
    const old = await newAdminToken();
    writeAdminTokenFile(dir, old);

    const rotated = await rotateAdminToken(service.store, dir, (queries, ended) =>
      service.bus.notifyAccessEnded(queries, ended),
    );

    const inFile = readFileSync(adminTokenFile(dir), "utf8").trim();
    expect(inFile).toBe(rotated.token);
    expect(inFile).not.toBe(old);
    expect(mode(adminTokenFile(dir))).toBe(0o600);
    expect((await service.get("/v1/me", old)).status).toBe(401);
    expect((await service.get("/v1/me", rotated.token)).status).toBe(200);
    expect((await service.get("/v1/me", admin)).status).toBe(401);
    admin = rotated.token;
  });
});

describe("the admin token file's watcher", () => {
  it("follows the file through a rotation: revoking the rotated token removes the file", async () => {
    const dir = dataDir();
    writeAdminTokenFile(dir, await newAdminToken());
    const stop = await watchAdminTokenFile(dir, service.store, service.bus, () => {});
    try {
      const rotated = await rotateAdminToken(service.store, dir, (queries, ended) =>
        service.bus.notifyAccessEnded(queries, ended),
      );
      admin = rotated.token;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const keptThroughRotation = existsSync(adminTokenFile(dir));
      admin = await newAdminToken();

      await service.delete(`/v1/users/admin/tokens/${await adminTokenId(rotated.token)}`, admin);
      await until(() => !existsSync(adminTokenFile(dir)));

      expect(keptThroughRotation).toBe(true);
      expect(existsSync(adminTokenFile(dir))).toBe(false);
    } finally {
      stop();
    }
  });
});

describe("the data folder", () => {
  it("and the admin token file get their modes back at every start, with a log line each", () => {
    const dir = dataDir();
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(adminTokenFile(dir), "pk_x\n", { mode: 0o644 });
    chmodSync(adminTokenFile(dir), 0o644);
    const lines: string[] = [];

    secureDataDir(dir, (line) => lines.push(line));

    expect(mode(dir)).toBe(0o700);
    expect(mode(adminTokenFile(dir))).toBe(0o600);
    expect(lines).toEqual([expect.stringMatching(/0755.*0700/), expect.stringMatching(/0644.*0600/)]);
  });

  it("is left as it is, without a log line, when its modes are right", () => {
    const dir = dataDir();
    mkdirSync(dir, { mode: 0o700 });
    writeAdminTokenFile(dir, "pk_x");
    const lines: string[] = [];

    secureDataDir(dir, (line) => lines.push(line));

    expect(lines).toEqual([]);
  });
});
