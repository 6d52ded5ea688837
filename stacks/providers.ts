import { readFileSync } from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { createOnlyKubernetesProvider } from "../components/tenant-namespace/index.js";
import { resolveZonePath, type ZoneSpec } from "../spec/zone.js";

/** Contents of a credential file named by a zone (see `resolveZonePath`), without its trailing newline. */
export function readZoneFile(path: string): string {
  return readFileSync(resolveZonePath(path), "utf8").replace(/\r?\n$/, "");
}

/**
 * The zone's Kubernetes cluster: the kubeconfig file's contents (kept secret in the state, as it
 * holds credentials) and its context. Without a kubeconfig the provider uses the ambient one.
 */
export function zoneKubernetesProvider(zone: ZoneSpec, opts?: pulumi.CustomResourceOptions): k8s.Provider {
  return new k8s.Provider(
    `${zone.name}-kubernetes`,
    {
      kubeconfig: zone.kubeconfig === undefined ? undefined : pulumi.secret(readZoneFile(zone.kubeconfig)),
      context: zone.context,
    },
    opts,
  );
}

/**
 * The zone's cluster for creating a project's Namespace only: the same kubeconfig and context,
 * with creates that fail on an existing object instead of adopting it.
 */
export function zoneNamespaceProvider(zone: ZoneSpec, opts?: pulumi.CustomResourceOptions): k8s.Provider {
  return createOnlyKubernetesProvider(
    `${zone.name}-kubernetes-create-only`,
    {
      kubeconfig: zone.kubeconfig === undefined ? undefined : pulumi.secret(readZoneFile(zone.kubeconfig)),
      context: zone.context,
    },
    opts,
  );
}

/** The zone's PostgreSQL server as its administrator, whose password file is read as a secret. */
export function zonePostgresProvider(
  zone: ZoneSpec,
  opts?: pulumi.CustomResourceOptions,
): postgresql.Provider {
  return new postgresql.Provider(
    `${zone.name}-postgresql`,
    {
      host: zone.postgres.host,
      port: zone.postgres.port,
      username: zone.postgres.adminUser,
      password: pulumi.secret(readZoneFile(zone.postgres.passwordFile)),
      sslmode: zone.postgres.sslmode,
      // Roles and databases are made one statement at a time; a few connections suffice.
      maxConnections: 4,
    },
    opts,
  );
}
