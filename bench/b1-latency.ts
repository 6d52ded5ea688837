/**
 * B1: request → Available latency of one app on the local zone, side by side:
 *   service     PUT /v1/projects/{p}/apps/web until its operation succeeds (the engine waits for Available)
 *   automation  the same program through the same runner (Automation API, policy pack), no
 *               service: one engine pass, the stack's verdict being known from its spec
 *   no-pack     the same without the policy pack
 *   kubectl     `kubectl apply` of equivalent manifests plus `kubectl rollout status`
 * Each path runs B1_RUNS times (default 5), interleaved; prints p50, min and max, then where the
 * last automation run's time went (see run-breakdown.ts).
 * B1_CLAIM=namespace measures a new project's namespace (TenantNamespace) instead of an app, for
 * zones that cannot run apps yet; the kubectl path is left out then.
 *
 *   npx tsx --v8-pool-size=1 --heap-growing-percent=100 bench/b1-latency.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseProjectSpec, type ProjectSpec } from "../spec/project.js";
import { replicaResources } from "../spec/usage.js";
import { localKubeconfig, simulatedZone } from "../localzone/zone.js";
import { RunBreakdown } from "./run-breakdown.js";
import {
  ensureZone,
  percentile,
  realRunner,
  seconds,
  startService,
  requireServiceFlags,
} from "./service-bench.js";

const RUNS = Number(process.env["B1_RUNS"] ?? 5);
const CLAIM = process.env["B1_CLAIM"] === "namespace" ? "namespace" : "app";
const IMAGE = "nginx:1.27";
const zone = simulatedZone();
const tag = Date.now().toString(36).slice(-5);

function kubectl(args: readonly string[]): string {
  return execFileSync(
    "kubectl",
    ["--kubeconfig", localKubeconfig(zone), "--context", zone.context ?? "pluskube-local", ...args],
    {
      encoding: "utf8",
    },
  );
}

/** Deployment (minReadySeconds and probes included), Service and Ingress as AppClaim makes them for one replica of one chunk. */
function manifests(namespace: string): string {
  const resources = replicaResources({}, zone);
  const labels = { "app.kubernetes.io/name": "web" };
  const limits = { cpu: resources.cpu, memory: resources.memory, "ephemeral-storage": resources.disk };
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace, labels },
      spec: {
        replicas: 1,
        minReadySeconds: 5,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels },
          spec: {
            // The zone's simulated nodes, as AppClaim places the apps of this zone.
            ...(zone.runtimeClass ? { runtimeClassName: zone.runtimeClass } : {}),
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: "web",
                image: IMAGE,
                ports: [{ name: "http", containerPort: 8080 }],
                readinessProbe: {
                  tcpSocket: { port: "http" },
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                livenessProbe: {
                  tcpSocket: { port: "http" },
                  initialDelaySeconds: 10,
                  periodSeconds: 15,
                  timeoutSeconds: 2,
                  failureThreshold: 4,
                },
                resources: { requests: limits, limits },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace, labels },
      spec: { type: "ClusterIP", selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "web", namespace, labels },
      spec: {
        ingressClassName: zone.ingressClass,
        rules: [
          {
            host: `${namespace}.${zone.baseDomain}`,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { name: "http" } } },
                },
              ],
            },
          },
        ],
      },
    },
  ]
    .map((doc) => stringify(doc))
    .join("---\n");
}

async function main(): Promise<void> {
  requireServiceFlags();
  await ensureZone();
  const service = await startService();
  const runner = await realRunner();
  const breakdown = new RunBreakdown(runner);
  let lastBreakdown: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "pluskube-b1-"));
  const bare = await realRunner({ policyPack: false });
  const figures: Record<"service" | "automation" | "no-pack" | "kubectl", number[]> = {
    service: [],
    automation: [],
    "no-pack": [],
    kubectl: [],
  };
  const cleanup: (() => Promise<unknown>)[] = [];
  const noEvents = () => {};
  const policyFor = (spec: ProjectSpec) => ({
    namespace: spec.project,
    baseDomain: zone.baseDomain,
    verifiedDomains: [],
    requireTls: zone.certIssuer !== "",
    allowedRegistries: [],
    share: {
      cpuMillis: 8000,
      memoryBytes: 16 * 2 ** 30,
      diskBytes: 64 * 2 ** 30,
      storageBytes: 32 * 2 ** 30,
      databaseGB: 10,
      objectGB: 10,
    },
  });

  try {
    const runApp = async (i: number) => {
      // service
      const project = `b1s-${tag}-${i}`;
      const created = await service.call<{ id: string }>("PUT", `/v1/projects/${project}`, {
        zone: zone.name,
      });
      await service.settle(created.body.id);
      cleanup.push(async () =>
        service.settle((await service.call<{ id: string }>("DELETE", `/v1/projects/${project}`)).body.id),
      );
      let started = Date.now();
      const accepted = await service.call<{ id: string }>("PUT", `/v1/projects/${project}/apps/web`, {
        image: IMAGE,
      });
      const done = await service.settle(accepted.body.id);
      if (done.status !== "succeeded") throw new Error(`service run ${i}: ${done.message}`);
      figures.service.push(Date.now() - started);

      // automation: the same runner and program, called directly
      const stack = `b1a-${tag}-${i}`;
      const empty = parseProjectSpec({ project: stack, zone: zone.name });
      const withApp = parseProjectSpec({
        project: stack,
        zone: zone.name,
        apps: [{ name: "web", image: IMAGE }],
      });
      await runner.up({ project: stack, zone, spec: empty, policy: policyFor(empty), onEvent: noEvents });
      cleanup.push(() =>
        runner.destroy({ project: stack, zone, spec: empty, policy: policyFor(empty), onEvent: noEvents }),
      );
      const onEvent = breakdown.reset();
      started = Date.now();
      await runner.up({ project: stack, zone, spec: withApp, policy: policyFor(withApp), onEvent });
      figures.automation.push(Date.now() - started);
      lastBreakdown = breakdown.lines();

      // the same without the policy pack
      const plain = `b1n-${tag}-${i}`;
      const plainEmpty = parseProjectSpec({ project: plain, zone: zone.name });
      const plainApp = parseProjectSpec({
        project: plain,
        zone: zone.name,
        apps: [{ name: "web", image: IMAGE }],
      });
      await bare.up({
        project: plain,
        zone,
        spec: plainEmpty,
        policy: policyFor(plainEmpty),
        onEvent: noEvents,
      });
      cleanup.push(() =>
        bare.destroy({
          project: plain,
          zone,
          spec: plainEmpty,
          policy: policyFor(plainEmpty),
          onEvent: noEvents,
        }),
      );
      started = Date.now();
      await bare.up({ project: plain, zone, spec: plainApp, policy: policyFor(plainApp), onEvent: noEvents });
      figures["no-pack"].push(Date.now() - started);

      // kubectl
      const namespace = `b1k-${tag}-${i}`;
      kubectl(["create", "namespace", namespace]);
      cleanup.push(async () => kubectl(["delete", "namespace", namespace, "--wait=false"]));
      const file = join(dir, `${namespace}.yaml`);
      writeFileSync(file, manifests(namespace));
      started = Date.now();
      kubectl(["apply", "-f", file]);
      kubectl(["rollout", "status", "deployment/web", "-n", namespace, "--timeout=300s"]);
      figures.kubectl.push(Date.now() - started);
    };
    for (let i = 0; i < RUNS; i++) {
      if (CLAIM === "namespace") {
        const project = `b1s-${tag}-${i}`;
        let started = Date.now();
        const created = await service.call<{ id: string }>("PUT", `/v1/projects/${project}`, {
          zone: zone.name,
        });
        const done = await service.settle(created.body.id);
        if (done.status !== "succeeded") throw new Error(`service run ${i}: ${done.message}`);
        figures.service.push(Date.now() - started);
        cleanup.push(async () =>
          service.settle((await service.call<{ id: string }>("DELETE", `/v1/projects/${project}`)).body.id),
        );

        const stack = `b1a-${tag}-${i}`;
        const empty = parseProjectSpec({ project: stack, zone: zone.name });
        started = Date.now();
        await runner.up({ project: stack, zone, spec: empty, policy: policyFor(empty), onEvent: noEvents });
        figures.automation.push(Date.now() - started);
        cleanup.push(() =>
          runner.destroy({ project: stack, zone, spec: empty, policy: policyFor(empty), onEvent: noEvents }),
        );
      } else {
        await runApp(i);
      }
      console.error(
        `run ${i + 1}/${RUNS}: ` +
          Object.entries(figures)
            .filter(([, values]) => values[i] !== undefined)
            .map(([path, values]) => `${path} ${seconds(values[i] ?? 0)}`)
            .join(", "),
      );
    }
  } finally {
    for (const undo of cleanup.reverse())
      await undo().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    await service.close();
  }

  const what = CLAIM === "app" ? "one app to Available" : "a new project's namespace";
  console.log(`B1: request → ${what}, ${RUNS} runs each (local zone, ${new Date().toISOString()})`);
  console.log("path        p50      min      max");
  for (const [path, values] of Object.entries(figures)) {
    if (values.length === 0) continue;
    console.log(
      `${path.padEnd(11)} ${seconds(percentile(values, 50)).padStart(7)}  ${seconds(Math.min(...values)).padStart(7)}  ${seconds(Math.max(...values)).padStart(7)}`,
    );
  }
  const ratio = (path: keyof typeof figures) =>
    (percentile(figures[path], 50) / percentile(figures.kubectl, 50)).toFixed(2);
  if (figures.kubectl.length > 0) {
    console.log(`service/kubectl ${ratio("service")}×, automation/kubectl ${ratio("automation")}×`);
    const over = (percentile(figures.service, 50) / percentile(figures.automation, 50) - 1) * 100;
    console.log(`service over the automation call: ${over.toFixed(1)} %`);
  }
  if (lastBreakdown.length > 0) {
    console.log("where the last automation run's time went:");
    for (const line of lastBreakdown) console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
