import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedZone } from "../../localzone/zone.js";
import { eventually, kubeGet } from "./helpers/local-zone.js";
import { TestService } from "../service/harness.js";
import {
  CountingRunner,
  dropLocalServiceDatabase,
  deployment,
  imageOf,
  isAvailable,
  localServiceDatabase,
  realRunner,
} from "./service-helpers.js";

/** The service with the real engine on the local zone: requests over HTTP end as running apps. */

type Operation = { id: string; status: string; message: string | null };

let service: TestService<CountingRunner>;
let token: string;
const projects: string[] = [];
const SETTLE_MS = 600_000;

beforeAll(async () => {
  service = await TestService.start({
    databaseUrl: await localServiceDatabase(),
    zones: [simulatedZone()],
    runner: new CountingRunner(await realRunner()),
    jobs: { retryDelaySeconds: 2 },
    // Operations are polled; a token's ordinary rate limit is for clients, not this test.
    app: { rateLimit: { limit: 1_000_000 } },
  });
  token = await service.user("it-user");
});

afterAll(async () => {
  if (!service) return;
  const deletions = await Promise.all(
    projects.map((name) => service.delete<Operation>(`/v1/projects/${name}`, token)),
  );
  await Promise.all(
    deletions
      .filter((response) => response.status === 202)
      .map((response) => service.settle(token, response.body.id, SETTLE_MS)),
  );
  await service.close();
  await dropLocalServiceDatabase(service.databaseUrl);
});

async function createProject(name: string): Promise<void> {
  projects.push(name);
  const response = await service.put<Operation>(`/v1/projects/${name}`, token, { zone: "local" });
  expect(response.status).toBe(202);
  const operation = await service.settle(token, response.body.id, SETTLE_MS);
  expect(operation["message"]).toBeNull();
  expect(operation["status"]).toBe("succeeded");
}

describe("the service on the local zone", () => {
  it("creates a project as a namespace with the tenant's quota, and a volume as its claim", async () => {
    await createProject("it-tenant");

    const response = await service.put<Operation>("/v1/projects/it-tenant/volumes/data", token, {
      size: "2Gi",
    });
    const operation = await service.settle(token, response.body.id, SETTLE_MS);
    const volume = await service.get<{ outputs?: { claim?: string } }>(
      "/v1/projects/it-tenant/volumes/data",
      token,
    );

    expect(operation["message"]).toBeNull();
    expect(operation["status"]).toBe("succeeded");
    const namespace = await kubeGet<{ metadata: { labels?: Record<string, string> } }>(
      "/api/v1/namespaces/it-tenant",
    );
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const quotas = await kubeGet<{ items: unknown[] }>("/api/v1/namespaces/it-tenant/resourcequotas");
    expect(quotas.items.length).toBeGreaterThan(0);
    // The run does not wait for the claim to bind (TenantNamespace: a WaitForFirstConsumer class
    // binds only for a pod); the zone's provisioner binds it soon after.
    const phase = await eventually(
      "the volume's claim to bind",
      async () => {
        const claim = await kubeGet<{ status?: { phase?: string } }>(
          `/api/v1/namespaces/it-tenant/persistentvolumeclaims/${volume.body.outputs?.claim ?? "missing"}`,
        );
        return claim.status?.phase === "Bound" ? claim.status.phase : undefined;
      },
      30_000,
    );
    expect(phase).toBe("Bound");
  });

  it("creates an app whose operation succeeds, which then shows its URL and runs Available", async () => {
    await createProject("it-web");

    const response = await service.put<Operation>("/v1/projects/it-web/apps/web", token, {
      image: "nginx:1.27",
      replicas: 2,
    });
    const operation = await service.settle(token, response.body.id, SETTLE_MS);
    const app = await service.get<{ outputs?: { url?: string } }>("/v1/projects/it-web/apps/web", token);

    expect(operation["message"]).toBeNull();
    expect(operation["status"]).toBe("succeeded");
    expect(app.body.outputs?.url).toMatch(/^https?:\/\/[a-z0-9-]+\.local\.pluskube\.test\/?$/);
    const status = await deployment("it-web", "web");
    expect(isAvailable(status)).toBe(true);
    expect(status.status?.availableReplicas).toBe(2);
  });

  it("rolls out a new image, keeping the app's URL", async () => {
    const before = await service.get<{ outputs?: { url?: string } }>("/v1/projects/it-web/apps/web", token);

    const response = await service.patch<Operation>("/v1/projects/it-web/apps/web", token, {
      image: "nginx:1.28",
    });
    const operation = await service.settle(token, response.body.id, SETTLE_MS);
    const after = await service.get<{ outputs?: { url?: string } }>("/v1/projects/it-web/apps/web", token);

    expect(operation["status"]).toBe("succeeded");
    const status = await deployment("it-web", "web");
    expect(imageOf(status)).toBe("nginx:1.28");
    expect(isAvailable(status)).toBe(true);
    expect(status.status?.updatedReplicas).toBe(2);
    expect(after.body.outputs?.url).toBe(before.body.outputs?.url);
  });

  it("turns two quick updates of one project into one or two runs ending at the last request", async () => {
    const before = service.runner.ups.filter((stack) => stack === "it-web.local").length;

    const first = await service.patch<Operation>("/v1/projects/it-web/apps/web", token, {
      image: "nginx:1.29",
    });
    const second = await service.patch<Operation>("/v1/projects/it-web/apps/web", token, {
      image: "nginx:1.30",
    });
    const results = await Promise.all(
      [first, second].map((response) => service.settle(token, response.body.id, SETTLE_MS)),
    );

    const runs = service.runner.ups.filter((stack) => stack === "it-web.local").length - before;
    expect(results.map((operation) => operation["status"])).toEqual(["succeeded", "succeeded"]);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(imageOf(await deployment("it-web", "web"))).toBe("nginx:1.30");
  });

  it("refuses, through the policy pack, a stack beyond the share it is handed", async () => {
    // The second line of quota defence: a runner handed a share of no storage (as a service with a
    // stale view would hand it) must see the engine refuse the stack before anything is created.
    await createProject("it-policy");
    const runner = service.runner;
    const up = runner.up.bind(runner);
    runner.up = (request) =>
      up({ ...request, policy: { ...request.policy, share: { ...request.policy.share, storageBytes: 0 } } });
    try {
      const response = await service.put<Operation>("/v1/projects/it-policy/volumes/data", token, {
        size: "1Gi",
      });
      const operation = await service.settle(token, response.body.id, SETTLE_MS);

      expect(operation["status"]).toBe("failed");
      expect(String(operation["message"])).toMatch(/tenant-quota/);
      const claims = await kubeGet<{ items: unknown[] }>(
        "/api/v1/namespaces/it-policy/persistentvolumeclaims",
      );
      expect(claims.items).toHaveLength(0);
    } finally {
      runner.up = up;
    }
  });

  it("deploys 8 projects at once, all succeeding", async () => {
    const names = Array.from({ length: 8 }, (_, i) => `it-many-${i}`);
    const created = await Promise.all(
      names.map(async (name) => {
        projects.push(name);
        return service.put<Operation>(`/v1/projects/${name}`, token, { zone: "local" });
      }),
    );
    await Promise.all(created.map((response) => service.settle(token, response.body.id, SETTLE_MS)));

    const apps = await Promise.all(
      names.map((name) =>
        service.put<Operation>(`/v1/projects/${name}/apps/web`, token, { image: "nginx:1.27" }),
      ),
    );
    const results = await Promise.all(
      apps.map((response) => service.settle(token, response.body.id, SETTLE_MS)),
    );

    expect(results.map((operation) => [operation["status"], operation["message"]])).toEqual(
      names.map(() => ["succeeded", null]),
    );
    for (const name of names) expect(isAvailable(await deployment(name, "web"))).toBe(true);
  });
});
