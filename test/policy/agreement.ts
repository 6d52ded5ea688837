/**
 * Shared by the agreement tests: a project spec and zone that use every kind of claim, the pack
 * config the service would write for them, and the recorded resources as the policy SDK would
 * see them (secrets unwrapped).
 */
import * as pulumi from "@pulumi/pulumi";
import { policyConfigFor, type PluskubePolicyConfig } from "../../policy/config.js";
import { parseProjectSpec, projectUsage, type ProjectSpec } from "../../spec/project.js";
import { zonePolicyInput } from "../../automation-api/domain/policy-context.js";
import { parseZoneSpec, type ZoneSpec } from "../../spec/zone.js";
import type { RecordedResource } from "../helpers/pulumi-mocks.js";
import type { FakeResource } from "./harness.js";

/** A zone with Knative and a certificate issuer; `files` holds the credential files it names. */
export function agreementZone(files: string): ZoneSpec {
  return parseZoneSpec({
    name: "lisbon",
    baseDomain: "lisbon.pluskube.org",
    ingressClass: "nginx",
    storageClass: "standard",
    certIssuer: "letsencrypt",
    knative: true,
    chunk: { cpu: "250m", memory: "512Mi", disk: "1Gi" },
    capacity: { cpu: "16", memory: "32Gi", disk: "200Gi", databaseGB: 50, objectGB: 100 },
    reserve: { cpu: "1", memory: "2Gi", disk: "10Gi" },
    dnsAddresses: ["169.254.20.10"],
    postgres: {
      host: "127.0.0.1",
      port: 15432,
      adminUser: "pluskube",
      passwordFile: `${files}/postgres.password`,
      clusterHost: "postgres.zone.internal",
    },
    s3: {
      endpoint: "http://127.0.0.1:18333",
      clusterEndpoint: "http://10.0.3.7:18333",
      adminAccessKeyFile: `${files}/s3.access-key`,
      adminSecretKeyFile: `${files}/s3.secret-key`,
      shellMaster: "127.0.0.1:19333",
    },
  });
}

/** Two apps (one serverless), a persistent and an ephemeral volume, a database and a bucket. */
export const AGREEMENT_SPEC: ProjectSpec = parseProjectSpec({
  project: "shop",
  zone: "lisbon",
  verifiedDomains: ["shop.example.org"],
  apps: [
    {
      name: "web",
      image: "ghcr.io/shop/web:1.4",
      chunks: 2,
      replicas: 2,
      user: 1000,
      customDomains: ["shop.example.org"],
      volumes: [
        { volume: "data", mountPath: "/data" },
        { volume: "cache", mountPath: "/cache" },
      ],
      probe: { path: "/healthz" },
    },
    { name: "api", image: "ghcr.io/shop/api:2.0", replicas: 3, serverless: true },
  ],
  databases: [{ name: "main", sizeGB: 5 }],
  buckets: [{ name: "media", sizeGB: 20 }],
  volumes: [
    { name: "data", size: "10Gi" },
    { name: "cache", size: "2Gi", kind: "ephemeral" },
  ],
});

/** The config the service writes for a project that may use exactly what its spec asks. */
export function agreementConfig(spec: ProjectSpec, zone: ZoneSpec): PluskubePolicyConfig {
  return policyConfigFor({
    namespace: spec.project,
    share: projectUsage(spec, zone),
    baseDomain: zone.baseDomain,
    verifiedDomains: spec.verifiedDomains,
    requireTls: zone.certIssuer !== "",
    ...zonePolicyInput(zone),
  });
}

/** Secrets arrive at policies unwrapped; the mocks record them wrapped. */
function plain(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value)) return plain(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}

/** Recorded resources as the pack sees them. */
export function asPolicyResources(resources: readonly RecordedResource[]): FakeResource[] {
  return resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    props: plain(resource.inputs) as object,
  }));
}
