import { afterAll, beforeAll, expect, it } from "vitest";
import { kubeClusters } from "../../automation-api/cluster/kube-clusters.js";
import { simulatedZone } from "../../localzone/zone.js";
import { TestService } from "../service/harness.js";
import { freshConfig, pluskube } from "../cli/run-cli.js";
import { eventually } from "./helpers/local-zone.js";
import {
  CountingRunner,
  dropLocalServiceDatabase,
  localServiceDatabase,
  realRunner,
} from "./service-helpers.js";

/**
 * The command line against the service on the local zone with the real engine: `pluskube run
 * --wait` deploys an app through Pulumi and exits when its operation has succeeded, and
 * `pluskube status` reads it as the cluster runs it (on kwok's simulated nodes).
 */

const SETTLE_MS = 600_000;
const PROJECT = "it-cli";
let service: TestService<CountingRunner>;
let env: Record<string, string>;

beforeAll(async () => {
  service = await TestService.start({
    databaseUrl: await localServiceDatabase(),
    zones: [simulatedZone()],
    runner: new CountingRunner(await realRunner()),
    clusters: kubeClusters(),
    jobs: { retryDelaySeconds: 2 },
    app: { rateLimit: { limit: 1_000_000 } },
  });
  env = {
    PLUSKUBE_ENDPOINT: service.url,
    PLUSKUBE_TOKEN: await service.user("it-cli-user"),
    PLUSKUBE_PROJECT: PROJECT,
    PLUSKUBE_CONFIG: freshConfig(),
  };
}, SETTLE_MS);

afterAll(async () => {
  if (!service) return;
  await pluskube(["projects", "delete", PROJECT, "--wait"], { env, timeoutMs: SETTLE_MS });
  await service.close();
  await dropLocalServiceDatabase(service.databaseUrl);
}, SETTLE_MS);

it(
  "deploys an app with pluskube run --wait through the real engine and reads its status",
  async () => {
    const created = await pluskube(["projects", "create", PROJECT, "--zone", "local", "--wait"], {
      env,
      timeoutMs: SETTLE_MS,
    });
    expect(created.stdout + created.stderr).toMatch(/operation \S+ succeeded/);
    expect(created.code).toBe(0);

    const run = await pluskube(
      ["run", "--image", "nginx:1.27", "--name", "web", "--memory", "512Mi", "--wait"],
      {
        env,
        timeoutMs: SETTLE_MS,
      },
    );

    expect(run.stderr).toMatch(/run update started/);
    expect(run.stdout).toMatch(/operation \S+ succeeded/);
    expect(run.code).toBe(0);
    const status = await eventually("the app's replica ready", async () => {
      const read = await pluskube(["status", "web", "-o", "json"], { env });
      if (read.code !== 0) return undefined;
      const parsed = JSON.parse(read.stdout) as { replicas: { ready: number } };
      return parsed.replicas.ready === 1 ? parsed : undefined;
    });
    expect(status.replicas).toMatchObject({ desired: 1, ready: 1 });
  },
  SETTLE_MS * 2,
);
