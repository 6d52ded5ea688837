import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestService } from "../service/harness.js";
import { freshConfig, pluskube } from "./run-cli.js";

let service: TestService;
let env: Record<string, string>;
let folder: string;

beforeAll(async () => {
  service = await TestService.start();
  const config = freshConfig();
  folder = dirname(config);
  env = {
    PLUSKUBE_ENDPOINT: service.url,
    PLUSKUBE_TOKEN: await service.user("ana"),
    PLUSKUBE_CONFIG: config,
  };
});
afterAll(async () => service.close());

const SPEC = `
project: books
zone: testzone
apps:
  - name: web
    image: nginx:1.27
    volumes: [{ volume: data, mountPath: /data }]
databases: [{ name: main, sizeGB: 1 }]
volumes: [{ name: data, size: 1Gi }]
`;

function specFile(name: string, text: string): string {
  const file = join(folder, name);
  writeFileSync(file, text);
  return file;
}

const operationCount = async () =>
  (
    (await service.get<{ items: unknown[] }>("/v1/projects/books/operations", env["PLUSKUBE_TOKEN"] ?? ""))
      .body.items ?? []
  ).length;

it("shows what a ProjectSpec changes, makes it with --yes, and changes nothing the second time", async () => {
  const file = specFile("books.yaml", SPEC);

  const first = await pluskube(["apply", "-f", file, "--yes", "--wait"], { env });
  const operations = await operationCount();
  const second = await pluskube(["apply", "-f", file, "--yes", "--wait"], { env });

  expect(first.stderr).not.toMatch(/error/);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(
    /^\+ project in zone testzone\n\+ volumes\/data\n\+ databases\/main\n\+ apps\/web\n/,
  );
  expect(second).toMatchObject({ code: 0, stdout: "project books is as the file says: nothing to change\n" });
  expect(await operationCount()).toBe(operations);
});

it("replaces what differs and deletes what the file leaves out", async () => {
  const file = specFile(
    "books-2.yaml",
    SPEC.replace("nginx:1.27", "nginx:1.28").replace(/^databases:.*$/m, ""),
  );

  const run = await pluskube(["apply", "-f", file, "--yes", "--wait"], { env });

  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^~ apps\/web: image\n- databases\/main\n/);
  expect((await service.get("/v1/projects/books/databases/main", env["PLUSKUBE_TOKEN"] ?? "")).status).toBe(
    404,
  );
});

it("writes the project back as a ProjectSpec that applies as no change", async () => {
  const written = await pluskube(["get", "project", "books", "-o", "yaml"], { env });
  const file = specFile("books-back.yaml", written.stdout);

  const run = await pluskube(["apply", "-f", file], { env });

  expect(written.stdout).toMatch(/^project: books\nzone: testzone\n/);
  expect(run).toMatchObject({ code: 0, stdout: "project books is as the file says: nothing to change\n" });
});

it("asks for --yes when there is no terminal to confirm on, applying nothing (exit 2)", async () => {
  const file = specFile("books-3.yaml", SPEC.replace("nginx:1.27", "nginx:1.29"));

  const run = await pluskube(["apply", "-f", file], { env });

  expect(run.code).toBe(2);
  expect(run.stdout).toBe("+ databases/main\n~ apps/web: image\n");
  expect(run.stderr).toMatch(/--yes: 2 change\(s\) to apply/);
  expect((await service.get("/v1/projects/books/databases/main", env["PLUSKUBE_TOKEN"] ?? "")).status).toBe(
    404,
  );
});

it("refuses a file that is not a ProjectSpec, naming each field (exit 2)", async () => {
  const file = specFile("bad.yaml", "project: Books\nzone: testzone\napps: [{ name: web }]\n");

  const run = await pluskube(["apply", "-f", file, "--yes"], { env });

  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/is not a ProjectSpec/);
  expect(run.stderr).toContain("\n  project: must be a DNS label");
  expect(run.stderr).toContain("\n  apps.0.image: ");
});
