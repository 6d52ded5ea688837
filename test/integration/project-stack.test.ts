/**
 * A project stack through the real engine on the local zone, the way the service runs it:
 * `composeProject(spec, zone)` as an inline program of stack `<project>.local`. One `up` of a
 * ProjectSpec, then an update with a new image and environment, then `destroy`.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseIdentifier } from "../../components/project-database/names.js";
import { resolveZonePath } from "../../localzone/paths.js";
import { simulatedZone } from "../../localzone/zone.js";
import type { ProjectSpecInput } from "../../spec/project.js";
import { eventually, kubeGet, kubeSend, waitUntilGone } from "./helpers/local-zone.js";
import type { RunResult } from "../../automation-api/runner/runner.js";
import { ProjectStack, uniqueProject } from "./helpers/project-stack.js";

interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: { kind: string; name: string }[];
}
interface List<T> {
  items: T[];
}
interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
}
interface Deployment {
  metadata: Metadata & { generation: number };
  spec: { replicas: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string }[];
  };
}
interface ReplicaSet {
  metadata: Metadata;
  spec: { replicas: number; template: { spec: { containers: Container[] } } };
  status: { availableReplicas?: number };
}
interface Pod {
  metadata: Metadata;
  spec: { nodeName?: string; containers: Container[] };
  status: { phase?: string };
}

const zone = simulatedZone();
const project = uniqueProject("it-project");
const APP = "web";

/** One app of two replicas with environment, and a database. */
const first: ProjectSpecInput = {
  project,
  zone: zone.name,
  apps: [
    {
      name: APP,
      image: "registry.k8s.io/pause:3.10",
      env: { GREETING: "hello" },
      replicas: 2,
    },
  ],
  databases: [{ name: "main", sizeGB: 1 }],
};

/** The same project with a new image and a changed and an added variable. */
const second: ProjectSpecInput = {
  ...first,
  apps: [
    {
      name: APP,
      image: "registry.k8s.io/pause:3.9",
      env: { GREETING: "bonjour", LOG_LEVEL: "debug" },
      replicas: 2,
    },
  ],
};

const ns = `/api/v1/namespaces/${project}`;
const deploymentPath = `/apis/apps/v1/namespaces/${project}/deployments/${APP}`;

const envOf = (container: Container | undefined): Record<string, string | undefined> =>
  Object.fromEntries((container?.env ?? []).map((variable) => [variable.name, variable.value]));

/** The app's pods that are not on their way out. */
async function livePods(): Promise<Pod[]> {
  const pods = await kubeGet<List<Pod>>(
    `${ns}/pods?labelSelector=${encodeURIComponent(`pluskube.dev/app=${APP}`)}`,
  );
  return pods.items.filter((pod) => pod.metadata.deletionTimestamp === undefined);
}

/** The ReplicaSets of the app's Deployment, newest revision first. */
async function replicaSets(): Promise<ReplicaSet[]> {
  const sets = await kubeGet<List<ReplicaSet>>(`/apis/apps/v1/namespaces/${project}/replicasets`);
  const revision = (set: ReplicaSet) =>
    Number(set.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0);
  return sets.items
    .filter((set) => set.metadata.ownerReferences?.some((o) => o.kind === "Deployment" && o.name === APP))
    .sort((a, b) => revision(b) - revision(a));
}

function isAvailable(deployment: Deployment): boolean {
  return deployment.status?.conditions?.find((c) => c.type === "Available")?.status === "True";
}

/** Whether a database and a role of this name exist on the zone's PostgreSQL, as its administrator. */
async function postgresHas(identifier: string): Promise<{ database: boolean; role: boolean }> {
  const password = readFileSync(resolveZonePath(zone.postgres.passwordFile), "utf8").trim();
  const client = new pg.Client({
    host: zone.postgres.host,
    port: zone.postgres.port,
    user: zone.postgres.adminUser,
    password,
    database: "postgres",
  });
  await client.connect();
  try {
    const database = await client.query("select 1 from pg_database where datname = $1", [identifier]);
    const role = await client.query("select 1 from pg_roles where rolname = $1", [identifier]);
    return { database: database.rowCount === 1, role: role.rowCount === 1 };
  } finally {
    await client.end();
  }
}

describe("a project stack on the local zone", () => {
  let stack: ProjectStack;
  let up: RunResult;

  beforeAll(async () => {
    stack = await ProjectStack.create(first, zone);
    up = await stack.up(first);
  });

  afterAll(async () => {
    await stack?.dispose();
  });

  describe("after up", () => {
    it("makes the project's namespace with Pod Security restricted enforced, audited and warned", async () => {
      const namespace = await kubeGet<{ metadata: Metadata }>(ns);

      expect(namespace.metadata.labels).toMatchObject({
        "pluskube.dev/project": project,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      });
    });

    it("caps the namespace with a ResourceQuota sized to the spec that allows no node ports or load balancers", async () => {
      const quota = await kubeGet<{ spec: { hard: Record<string, string> } }>(
        `${ns}/resourcequotas/pluskube-quota`,
      );

      // Two replicas of one chunk (250m, 512Mi, 1Gi) plus one surge pod.
      expect(quota.spec.hard).toMatchObject({
        "requests.cpu": "750m",
        "limits.cpu": "750m",
        "requests.memory": "1536Mi",
        "limits.memory": "1536Mi",
        "requests.ephemeral-storage": "3Gi",
        pods: "3",
        "services.nodeports": "0",
        "services.loadbalancers": "0",
      });
    });

    it("gives containers that name no resources one chunk through the LimitRange", async () => {
      const limits = await kubeGet<{
        spec: { limits: { type: string; default: object; defaultRequest: object }[] };
      }>(`${ns}/limitranges/pluskube-defaults`);

      const chunk = { cpu: "250m", memory: "512Mi", "ephemeral-storage": "1Gi" };
      expect(limits.spec.limits).toEqual([{ type: "Container", default: chunk, defaultRequest: chunk }]);
    });

    it("denies all traffic by default and opens only the namespace, DNS, the ingress controller, the internet and the zone's services", async () => {
      const policies = await kubeGet<List<{ metadata: Metadata; spec: Record<string, unknown> }>>(
        `/apis/networking.k8s.io/v1/namespaces/${project}/networkpolicies`,
      );

      expect(policies.items.map((policy) => policy.metadata.name).sort()).toEqual([
        "pluskube-allow-dns",
        "pluskube-allow-ingress-controller",
        "pluskube-allow-internet",
        "pluskube-allow-same-namespace",
        "pluskube-allow-zone-services",
        "pluskube-default-deny",
      ]);
      const defaultDeny = policies.items.find((policy) => policy.metadata.name === "pluskube-default-deny");
      expect(defaultDeny?.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      // The project has a database, so its pods may reach the zone's Postgres and S3 as pods see them.
      const services = policies.items.find(
        (policy) => policy.metadata.name === "pluskube-allow-zone-services",
      );
      const s3 = new URL(zone.s3.clusterEndpoint ?? zone.s3.endpoint);
      expect(services?.spec["egress"]).toEqual([
        {
          to: [{ ipBlock: { cidr: `${zone.postgres.clusterHost}/32` } }],
          ports: [{ protocol: "TCP", port: zone.postgres.port }],
        },
        {
          to: [{ ipBlock: { cidr: `${s3.hostname}/32` } }],
          ports: [{ protocol: "TCP", port: Number(s3.port) }],
        },
      ]);
    });

    it("runs the app's Deployment Available with every replica on a kwok node", async () => {
      const deployment = await kubeGet<Deployment>(deploymentPath);
      const pods = await livePods();

      expect(isAvailable(deployment)).toBe(true);
      expect(deployment.status?.availableReplicas).toBe(2);
      expect(pods).toHaveLength(2);
      for (const pod of pods) {
        expect(pod.spec.nodeName).toMatch(/^kwok-node-\d+$/);
        expect(pod.status.phase).toBe("Running");
        expect(envOf(pod.spec.containers[0])).toMatchObject({ GREETING: "hello" });
      }
    });

    it("serves the app through a ClusterIP Service and an Ingress on a random subdomain of the zone", async () => {
      const service = await kubeGet<{ spec: { type: string; ports: { port: number }[] } }>(
        `${ns}/services/${APP}`,
      );
      const ingress = await kubeGet<{ spec: { ingressClassName: string; rules: { host: string }[] } }>(
        `/apis/networking.k8s.io/v1/namespaces/${project}/ingresses/${APP}`,
      );

      expect(service.spec.type).toBe("ClusterIP");
      expect(service.spec.ports.map((port) => port.port)).toEqual([80]);
      expect(ingress.spec.ingressClassName).toBe(zone.ingressClass);
      const hosts = ingress.spec.rules.map((rule) => rule.host);
      expect(hosts).toHaveLength(1);
      expect(hosts[0]).toMatch(/^[a-z0-9]{8}\.local\.pluskube\.test$/);
      expect(up.outputs["appUrls"]).toEqual({ [APP]: `http://${hosts[0]}` });
    });

    it("publishes the database's credentials in a Secret of the namespace", async () => {
      const secret = await kubeGet<{ data: Record<string, string> }>(`${ns}/secrets/database-main`);

      expect(Object.keys(secret.data)).toContain("DATABASE_URL");
      expect(await postgresHas(databaseIdentifier(project, "main"))).toEqual({ database: true, role: true });
    });
  });

  describe("after an update with a new image and environment", () => {
    let update: RunResult;

    beforeAll(async () => {
      update = await stack.up(second);
    });

    it("rolls out a new ReplicaSet that is Available and scales the old one to zero", async () => {
      const deployment = await kubeGet<Deployment>(deploymentPath);
      const [current, previous] = await replicaSets();

      expect(deployment.status?.observedGeneration).toBe(deployment.metadata.generation);
      expect(deployment.status?.updatedReplicas).toBe(2);
      expect(isAvailable(deployment)).toBe(true);
      expect(current?.spec.template.spec.containers[0]?.image).toBe("registry.k8s.io/pause:3.9");
      expect(current?.status.availableReplicas).toBe(2);
      expect(previous?.spec.template.spec.containers[0]?.image).toBe("registry.k8s.io/pause:3.10");
      expect(previous?.spec.replicas).toBe(0);
    });

    it("runs only pods with the new image and environment", async () => {
      // The old pods may still be terminating on kwok's schedule; they leave the list once gone.
      const pods = await eventually("the old pods to go", async () => {
        const live = await livePods();
        return live.length === 2 ? live : undefined;
      });

      for (const pod of pods) {
        const [container] = pod.spec.containers;
        expect(container?.image).toBe("registry.k8s.io/pause:3.9");
        expect(envOf(container)).toMatchObject({ GREETING: "bonjour", LOG_LEVEL: "debug" });
      }
    });

    it("keeps the app's address", () => {
      expect(update.outputs["appUrls"]).toEqual(up.outputs["appUrls"]);
    });
  });

  describe("after destroy", () => {
    beforeAll(async () => {
      await stack.destroy();
    });

    it("deletes the project's namespace and everything in it", async () => {
      await waitUntilGone(ns);

      expect((await kubeSend("GET", ns)).status).toBe(404);
    });

    it("drops the project's database and its role", async () => {
      expect(await postgresHas(databaseIdentifier(project, "main"))).toEqual({
        database: false,
        role: false,
      });
    });
  });
});
