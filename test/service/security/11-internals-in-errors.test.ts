/**
 * Finding 11, internals in members' errors: what the engine and the providers say when a run
 * fails names the zone's hosts, its PostgreSQL administrator and the service's files. Members
 * get what failed, the reason when it is theirs to fix, and a reference; the full text goes to
 * the service's log under that reference.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EngineFailure, type RunRequest, type RunResult } from "../../../automation-api/runner/runner.js";
import { failureReason, withoutInternals } from "../../../automation-api/jobs/member-failure.js";
import { CapturedLog } from "../captured-log.js";
import { FakeRunner } from "../fake-runner.js";
import { TestService, testZone } from "../harness.js";

type Operation = {
  id: string;
  status: string;
  message: string | null;
  events: { type: string; data: Record<string, unknown> }[];
};

const ADMIN = "zone_superuser_7f3a";
const HOST = "10.77.0.12";
const PATH = "/srv/pluskube/zones/berlin/postgres.password";

/** A PostgreSQL provider failure as the engine reports it, full of the zone's internals. */
const PROVIDER_FAILURE = [
  `postgresql:index/role:Role (shop-main-role):`,
  `  error: could not read password file ${PATH}: connecting to ${HOST}:5432 as ${ADMIN}:`,
  `  pq: password authentication failed for user "${ADMIN}" (dial tcp ${HOST}:5432)`,
].join("\n");

/** The cluster refusing a member's Deployment, as the Kubernetes provider reports it. */
const CLUSTER_REFUSAL = [
  `kubernetes:apps/v1:Deployment (shop-web-deployment):`,
  `  error: resource shop/web was not successfully created by the Kubernetes API server (https://${HOST}:16443, kubeconfig /root/.local/share/pluskube/localzone/kubeconfig):`,
  `  deployments.apps "web" is forbidden: exceeded quota: pluskube-quota, requested: limits.cpu=8, used: limits.cpu=0, limited: limits.cpu=2`,
].join("\n");

/** Emits `diagnostic` as the engine's error diagnostic, then fails the run with it. */
class FailingRunner extends FakeRunner {
  diagnostic: string | undefined;

  override async up(request: RunRequest): Promise<RunResult> {
    const diagnostic = this.diagnostic;
    if (diagnostic === undefined) return super.up(request);
    request.onEvent({ type: "diagnostic", severity: "error", message: diagnostic });
    throw new EngineFailure(diagnostic);
  }
}

const roomy = { capacity: { cpu: "64", memory: "128Gi", disk: "2Ti", databaseGB: 1000, objectGB: 1000 } };
const zone = testZone("testzone", {
  ...roomy,
  postgres: { host: HOST, port: 5432, adminUser: ADMIN, passwordFile: PATH, sslmode: "disable" },
});
const runner = new FailingRunner();
const logged = new CapturedLog();
let service: TestService<FailingRunner>;
let ana: string;

beforeAll(async () => {
  service = await TestService.start<FailingRunner>({
    runner,
    zones: [zone],
    jobs: { logger: logged.logger },
  });
  ana = await service.user("ana");
});
afterEach(() => {
  runner.diagnostic = undefined;
  runner.onRun = undefined;
  runner.refuse.clear();
});
afterAll(async () => {
  await service.close();
});

/** Creates `project`, then sends a change the runner will fail; returns the settled operation. */
async function failedChange(project: string): Promise<Operation> {
  await service.project(ana, project);
  const accepted = await service.put<Operation>(`/v1/projects/${project}/apps/web`, ana, {
    image: "nginx:1",
  });
  await service.settle(ana, accepted.body.id);
  return (await service.get<Operation>(`/v1/operations/${accepted.body.id}`, ana)).body;
}

/** The reference a member's message gives. */
function referenceOf(message: string | null): string {
  const reference = /reference ([A-Za-z0-9-]+)/.exec(message ?? "")?.[1];
  if (!reference) throw new Error(`no reference in ${JSON.stringify(message)}`);
  return reference;
}

describe("a failed run as a member sees it", () => {
  it("names no host, file or administrator of the zone in the operation or its events", async () => {
    runner.diagnostic = PROVIDER_FAILURE;

    const operation = await failedChange("leaky");

    expect(operation.status).toBe("failed");
    const seen = JSON.stringify(operation);
    expect(seen).not.toContain(HOST);
    expect(seen).not.toContain(ADMIN);
    expect(seen).not.toContain(PATH);
    expect(seen).not.toContain("pq:");
  });

  it("says what failed and gives a reference that the service's log holds with the full text", async () => {
    runner.diagnostic = PROVIDER_FAILURE;

    const operation = await failedChange("referenced");

    expect(operation.message).toMatch(/^updating the project's stack failed: /);
    const reference = referenceOf(operation.message);
    const line = logged.lines().find((entry) => entry.includes(reference) && entry.includes(PATH));
    expect(line).toContain(`password authentication failed for user "${ADMIN}"`);
  });

  it("keeps the reason of a cluster refusal of the member's spec, without the zone's internals", async () => {
    runner.diagnostic = CLUSTER_REFUSAL;

    const operation = await failedChange("refused-by-cluster");

    expect(operation.message).toContain(
      'deployments.apps "web" is forbidden: exceeded quota: pluskube-quota, requested: limits.cpu=8',
    );
    expect(JSON.stringify(operation)).not.toContain(HOST);
    expect(JSON.stringify(operation)).not.toContain("kubeconfig");
  });

  it("keeps a policy's refusal in the member's message, with a reference", async () => {
    runner.refuse.set("refused-by-policy", "the stack asks for 3000m CPU, its share is 2000m");

    const operation = await failedChange("refused-by-policy");

    expect(operation.message).toContain(
      "policy tenant-quota: the stack asks for 3000m CPU, its share is 2000m",
    );
    expect(referenceOf(operation.message)).not.toBe("");
  });

  it("names no internals when a run dies and is given up", async () => {
    const dying = new FakeRunner();
    dying.onRun = () => {
      throw new Error(`connect ECONNREFUSED ${HOST}:5432 (reading ${PATH} as ${ADMIN})`);
    };
    const log = new CapturedLog();
    const other = await TestService.start({
      runner: dying,
      zones: [zone],
      jobs: { retryLimit: 0, logger: log.logger },
    });
    try {
      const token = await other.user("bea");
      const accepted = await other.put<Operation>("/v1/projects/doomed", token, { zone: "testzone" });

      await other.settle(token, accepted.body.id);
      const operation = (await other.get<Operation>(`/v1/operations/${accepted.body.id}`, token)).body;

      expect(operation.status).toBe("failed");
      const seen = JSON.stringify(operation);
      expect(seen).not.toContain(HOST);
      expect(seen).not.toContain(PATH);
      expect(seen).not.toContain(ADMIN);
      const reference = referenceOf(operation.message);
      expect(log.lines().some((line) => line.includes(reference) && line.includes(HOST))).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe("the table of known failures", () => {
  it.each([
    [
      "a Pod Security refusal",
      'error: resource "shop/web" was not successfully created by the Kubernetes API server: pods "web" is forbidden: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true)',
      'the cluster refused pods "web" is forbidden: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true)',
    ],
    [
      "an invalid field",
      'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
      'the cluster refused Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
    ],
    [
      "an image that cannot be pulled",
      `the Kubernetes API server reported that "shop/web" failed to fully initialize or become live: [Pod shop/web-5d9]: containers with unready status: [app] -- [ImagePullBackOff] Back-off pulling image "registry.internal:5000/web"`,
      "an app did not become ready: its pods report ImagePullBackOff",
    ],
    [
      "a database server failure",
      `pq: role "shop_main" already exists (${HOST}:5432)`,
      "the zone's database server could not complete it",
    ],
    [
      "an unreachable part",
      `dial tcp ${HOST}:16443: connect: connection refused`,
      "a part of the zone could not be reached",
    ],
    ["anything else", "panic: runtime error: index out of range", "the zone could not complete it"],
  ])("tells %s as the member may read it", (_what, detail, reason) => {
    expect(failureReason(detail, ADMIN)).toBe(reason);
  });

  it("takes addresses, paths and the administrator's name out of a text and leaves the rest", () => {
    const text = `role ${ADMIN} at https://${HOST}:16443/api, [fd00::1]:5432, db.zone.internal:5432 and ${HOST}:5432 read ${PATH} for containers[0]`;

    expect(withoutInternals(text, ADMIN)).toBe(
      "role <administrator> at <address>, <address>, <address> and <address> read <path> for containers[0]",
    );
  });
});
