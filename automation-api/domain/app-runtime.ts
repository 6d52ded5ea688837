import { appSelector } from "../../components/labels.js";
import type { ZoneSpec } from "../../spec/zone.js";
import { ClusterUnreachableError, type ZoneClusters } from "../cluster/cluster.js";
import type { AppObjects, NamespaceReader, PodFacts } from "../cluster/namespace-reader.js";
import type { ProjectRow } from "../store/schema.js";
import type { Queries } from "../store/store.js";
import { projectOf, type Principal } from "./authz.js";
import { NotFoundError } from "./errors.js";
import { RuntimeUnreachableError } from "./runtime-errors.js";
import { explainExit, explainReason } from "./runtime-reasons.js";
import { findItem } from "./spec.js";
import type { ZoneCatalog } from "./zones.js";

/** Events shown with a status: the most recent of the app's objects. */
const STATUS_EVENTS = 30;

/** One app of a member's project where it runs: its zone, namespace and the selector of its objects. */
export interface AppTarget {
  readonly project: ProjectRow;
  readonly app: string;
  readonly zone: ZoneSpec;
  /** Reads confined to the project's namespace. */
  readonly reader: NamespaceReader;
  readonly selector: Readonly<Record<string, string>>;
}

/**
 * The principal's app by project and name: the same 404 whether the project is someone else's,
 * or the app is not in its spec. The namespace is the project's name (project names are
 * namespaces), so that nothing a request sends can point a read at another namespace.
 */
export async function appTarget(
  deps: { store: Queries; zones: ZoneCatalog; clusters: ZoneClusters },
  principal: Principal,
  projectName: string,
  app: string,
): Promise<AppTarget> {
  const project = await projectOf(deps.store, principal, projectName);
  if (!findItem(project.spec, "apps", app)) throw new NotFoundError(`app '${app}'`);
  const zone = deps.zones.get(project.zone);
  if (!zone) throw new RuntimeUnreachableError(project.zone);
  let reader: NamespaceReader;
  try {
    reader = deps.clusters.cluster(zone).inNamespace(project.name);
  } catch {
    throw new RuntimeUnreachableError(zone.name);
  }
  return { project, app, zone, reader, selector: appSelector(project.name, app) };
}

/** The app's Deployments, ReplicaSets, pods and events; 503 when the cluster does not answer. */
export async function appObjects(target: AppTarget): Promise<AppObjects> {
  try {
    return await target.reader.appObjects(target.selector);
  } catch (error) {
    if (error instanceof ClusterUnreachableError) throw new RuntimeUnreachableError(target.zone.name);
    throw error;
  }
}

function presentPod(pod: PodFacts) {
  return {
    name: pod.name,
    phase: pod.phase,
    ready: pod.ready,
    restarts: pod.restarts,
    waiting: pod.waiting && {
      reason: pod.waiting.reason,
      message: pod.waiting.message,
      explanation: explainReason(pod.waiting.reason, pod.waiting.message),
    },
    lastTermination: pod.lastTermination && {
      ...pod.lastTermination,
      explanation: explainExit(pod.lastTermination.reason, pod.lastTermination.exitCode),
    },
  };
}

/**
 * An app's status as a member reads it: replica counts, each pod, the problems found (with
 * their plain-language causes) and the recent events of the app's objects.
 */
export function appStatus(target: AppTarget, objects: AppObjects) {
  const sum = (pick: (d: AppObjects["deployments"][number]) => number) =>
    objects.deployments.reduce((total, deployment) => total + pick(deployment), 0);
  const problems: { reason: string; explanation: string; message: string; object: string }[] = [];
  const seen = new Set<string>();
  const addProblem = (reason: string, message: string, object: string) => {
    const explanation = explainReason(reason, message);
    const key = `${reason}:${explanation ?? message}`;
    if (!explanation || seen.has(key)) return;
    seen.add(key);
    problems.push({ reason, explanation, message, object });
  };
  for (const deployment of objects.deployments) {
    for (const condition of deployment.failing) {
      addProblem(condition.reason || condition.type, condition.message, `Deployment/${deployment.name}`);
    }
  }
  for (const pod of objects.pods) {
    if (pod.waiting) addProblem(pod.waiting.reason, pod.waiting.message ?? "", `Pod/${pod.name}`);
  }
  // A warning about a pod that is ready now (a probe that failed while it started, a pull that
  // was retried) is its history, shown with the events, not a problem of the app.
  const readyPods = new Set(objects.pods.filter((pod) => pod.ready).map((pod) => pod.name));
  for (const event of objects.events) {
    if (event.object.kind === "Pod" && readyPods.has(event.object.name)) continue;
    if (event.type === "Warning") {
      addProblem(event.reason, event.message, `${event.object.kind}/${event.object.name}`);
    }
  }
  return {
    project: target.project.name,
    app: target.app,
    zone: target.zone.name,
    replicas: {
      desired: sum((d) => d.desired),
      ready: sum((d) => d.ready),
      available: sum((d) => d.available),
      updated: sum((d) => d.updated),
    },
    pods: objects.pods.map(presentPod),
    problems,
    events: objects.events.slice(0, STATUS_EVENTS).map((event) => ({
      ...event,
      explanation: explainReason(event.reason, event.message),
    })),
  };
}

/** The app's pod called `name`, or 404: only the app's own pods are reached. */
export function appPod(objects: AppObjects, name: string): PodFacts {
  const pod = objects.pods.find((candidate) => candidate.name === name);
  if (!pod) throw new NotFoundError(`pod '${name}' of this app`);
  return pod;
}
