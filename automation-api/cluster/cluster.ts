import type { ZoneSpec } from "../../spec/zone.js";
import type { NamespaceReader, PodUsage } from "./namespace-reader.js";

/**
 * What the service reads of a zone's Kubernetes cluster. The service never writes to a cluster
 * (its stacks do); it reads to decide requests and, as it grows, to show members their runtime
 * views (app status, logs), always confined to one namespace. Tests hand in a fake.
 */
export interface ZoneCluster {
  /** The namespace called `name`, or `undefined` when the cluster has none. */
  namespace(name: string): Promise<NamespaceFacts | undefined>;
  /**
   * The data of the Secret `name` in `namespace`, decoded, or `undefined` when there is none.
   * Read at the moment a member asks; the service keeps none of it.
   */
  secretData(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined>;
  /** Runtime views of one project namespace (its apps' pods, logs, metrics); reads stay in it. */
  inNamespace(namespace: string): NamespaceReader;
  /**
   * The CPU and memory of every app's pods in the zone, in one read of the metrics API (the
   * service's own sampling; members' reads go through `inNamespace`). Throws
   * `MetricsUnavailableError` when the zone serves no metrics API.
   */
  appsUsage(): Promise<AppsUsage>;
}

/** Pods' usage of a zone's apps, by namespace and app. */
export interface AppsUsage {
  /** The pods of `app` in `namespace` that the metrics API reported; none when none runs. */
  of(namespace: string, app: string): readonly PodUsage[];
}

/** What the service needs to know of an existing namespace. */
export interface NamespaceFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Whether the namespace is being deleted (phase `Terminating`). */
  readonly terminating: boolean;
}

/** The clusters of the zones the service offers, one reader per zone. */
export interface ZoneClusters {
  cluster(zone: ZoneSpec): ZoneCluster;
}

/** A zone's cluster did not answer, or answered with an error other than "not found". */
export class ClusterUnreachableError extends Error {
  constructor(
    readonly zone: string,
    cause: unknown,
  ) {
    super(
      `the cluster of zone '${zone}' could not be read: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = "ClusterUnreachableError";
  }
}
