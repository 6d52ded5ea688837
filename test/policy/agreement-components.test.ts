/**
 * The components and the rules agree: the resources TenantNamespace, AppClaim, ProjectDatabase
 * and ObjectBucket make for a valid project pass the whole pack, with the share the service
 * computes for that project. (agreement-compose.test.ts checks the same through composeProject.)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policy/policies.js";
import { replicaResources } from "../../spec/usage.js";
import { installMocks, promiseOf, type ResourceRecorder } from "../helpers/pulumi-mocks.js";
import { settle } from "../unit/support/settle.js";
import { agreementConfig, agreementZone, AGREEMENT_SPEC, asPolicyResources } from "./agreement.js";
import { messages, validatePack } from "./harness.js";

describe("the components and the policy pack", () => {
  let recorder: ResourceRecorder;
  const zone = agreementZone(mkdtempSync(join(tmpdir(), "pluskube-agreement-")));
  const spec = AGREEMENT_SPEC;

  beforeAll(async () => {
    recorder = await installMocks({ stack: "shop.lisbon" });
    const components = await import("../../components/index.js");
    const project = spec.project;
    const tenant = new components.TenantNamespace(project, {
      project,
      namespaceProvider: components.createOnlyKubernetesProvider("create-only", {}),
      quota: {
        cpu: "8",
        memory: "16Gi",
        ephemeralStorage: "32Gi",
        storage: "100Gi",
        pods: 20,
        services: 10,
        persistentVolumeClaims: 5,
        secrets: 20,
        configMaps: 20,
        ingresses: 4,
        deployments: 1,
        knative: { services: 1, domainMappings: 1 },
      },
      volumes: spec.volumes.filter((v) => v.kind === "persistent").map(({ name, size }) => ({ name, size })),
      storageClass: zone.storageClass,
    });
    for (const app of spec.apps) {
      const resources = replicaResources(app, zone);
      const claim = new components.AppClaim(`${project}-${app.name}`, {
        project,
        app: app.name,
        namespace: tenant.namespaceName,
        image: app.image,
        user: app.user,
        ...resources,
        replicas: app.replicas,
        port: app.port,
        probe: app.probe,
        volumes: spec.volumes.map((volume) => ({
          name: volume.name,
          kind: volume.kind,
          size: volume.size,
          claimName: tenant.claimNames[volume.name],
        })),
        mounts: app.volumes.map(({ volume, mountPath, readOnly }) => ({ volume, mountPath, readOnly })),
        readOnlyRootFilesystem: app.readOnlyRootFilesystem,
        serverless: app.serverless,
        knative: zone.knative,
        baseDomain: zone.baseDomain,
        customDomains: app.customDomains,
        ingressClass: zone.ingressClass,
        certIssuer: zone.certIssuer,
      });
      await promiseOf(claim.url);
    }
    for (const database of spec.databases) {
      const db = new components.ProjectDatabase(`${project}-${database.name}`, {
        project,
        namespace: tenant.namespaceName,
        name: database.name,
        sizeGB: database.sizeGB,
        connectionLimit: database.connectionLimit,
        host: zone.postgres.clusterHost ?? zone.postgres.host,
        port: zone.postgres.port,
      });
      await promiseOf(db.secretName);
    }
    for (const bucket of spec.buckets) {
      const store = new components.ObjectBucket(`${project}-${bucket.name}`, {
        project,
        namespace: tenant.namespaceName,
        name: bucket.name,
        sizeGB: bucket.sizeGB,
        endpoint: zone.s3.endpoint,
        adminAccessKeyId: "admin-key",
        adminSecretAccessKey: "admin-secret",
      });
      await promiseOf(store.secretName);
    }
    await settle(recorder);
  });

  it("makes every kind of object the rules check", () => {
    const types = new Set(recorder.resources.map((resource) => resource.type));

    expect([...types]).toEqual(
      expect.arrayContaining([
        "kubernetes:core/v1:Namespace",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:serving.knative.dev/v1:Service",
        "kubernetes:core/v1:Service",
        "kubernetes:networking.k8s.io/v1:Ingress",
        "kubernetes:core/v1:PersistentVolumeClaim",
        "kubernetes:core/v1:Secret",
        "postgresql:index/role:Role",
      ]),
    );
  });

  it("passes the whole pack with the share the service computes for the spec", async () => {
    const outcome = await validatePack(
      policies,
      asPolicyResources(recorder.resources),
      agreementConfig(spec, zone) as unknown as Record<string, object>,
    );

    expect(messages(outcome)).toEqual([]);
    expect(outcome.advisories).toEqual([]);
  });

  it("is refused by tenant-quota once the share is one replica smaller", async () => {
    const config = agreementConfig(spec, zone);
    const share = config["tenant-quota"].share;
    const smaller = {
      ...config,
      "tenant-quota": { share: { ...share, cpuMillis: (share.cpuMillis ?? 0) - 250 } },
    };

    const outcome = await validatePack(
      policies,
      asPolicyResources(recorder.resources),
      smaller as unknown as Record<string, object>,
    );

    expect(outcome.violations.map((violation) => violation.policy)).toEqual(["tenant-quota"]);
  });
});
