import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { appLabels, appSelector } from "../labels.js";
import { PROJECT_SERVICE_ACCOUNT } from "../tenant-namespace/tenant-namespace.js";
import { checkedInput } from "../validation.js";
import type { AppClaimArgs } from "./args.js";
import { appContainer, appEnv, appVolumes, podSecurityContext, portName, Workload } from "./pod.js";
import { imageProblem, validateAppClaimArgs } from "./validate.js";

export const APP_CLAIM_TYPE = "pluskube:index:AppClaim";

/** Port the app's ClusterIP Service listens on; it forwards to the container's named port. */
export const SERVICE_PORT = 80;

/** Pod template annotation that changes with the secret variables' values, so a rotation rolls the pods. */
export const SECRET_ENV_CHECKSUM_ANNOTATION = "pluskube.dev/secret-env-checksum";

/** Name of the Secret that holds an app's secret variables. */
export const secretEnvSecretName = (app: string): string => `app-${app}-env`;

/** SHA-256 over the sorted names and values: equal for equal variables, whatever their order. */
function secretEnvChecksum(values: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(values).sort()) hash.update(`${name}\0${values[name]}\0`);
  return hash.digest("hex");
}

/**
 * A container image run as an app of a project: a Deployment (or a Knative Service when
 * serverless) with a restricted security context and requests = limits, a ClusterIP Service
 * and an Ingress on a random subdomain of the zone plus the project's verified domains.
 */
export class AppClaim extends pulumi.ComponentResource {
  /** The app's address on its random subdomain, such as `https://k3x9q2ab.apps.example.org`. */
  public readonly url: pulumi.Output<string>;
  /** Every address of the app: the random subdomain first, then the custom domains. */
  public readonly urls: pulumi.Output<string[]>;
  /** The random host, such as `k3x9q2ab.apps.example.org`. */
  public readonly host: pulumi.Output<string>;
  /** Namespace the app runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the Deployment, or of the Knative Service when serverless. */
  public readonly deploymentName: pulumi.Output<string>;
  /** Name of the Service in front of the pods (Knative names its Service after the app). */
  public readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: AppClaimArgs, opts?: pulumi.ComponentResourceOptions) {
    super(APP_CLAIM_TYPE, name, {}, opts);
    validateAppClaimArgs(args, this);

    const { project, app, baseDomain } = args;
    const replicas = args.replicas ?? 1;
    const port = args.port ?? 8080;
    const readOnlyRootFilesystem = args.readOnlyRootFilesystem ?? true;
    const workload = (args.serverless ?? false) ? Workload.knative : Workload.deployment;
    const customDomains = [...(args.customDomains ?? [])];
    const certIssuer = args.certIssuer ?? "";
    const ingressClass = args.ingressClass ?? "nginx";
    const serviceAccountName = args.serviceAccountName ?? PROJECT_SERVICE_ACCOUNT;
    const minReadySeconds = args.minReadySeconds ?? 5;
    const labels = appLabels(project, app);
    const child = { parent: this };
    const meta = { name: app, namespace: args.namespace, labels };

    // The subdomain lives in this child's state, so it stays the same on every update; the
    // keepers only change if the app itself is replaced by another one.
    const subdomain = new random.RandomString(
      `${name}-subdomain`,
      { length: 8, lower: true, upper: false, numeric: true, special: false, keepers: { project, app } },
      child,
    );
    const host = pulumi.interpolate`${subdomain.result}.${baseDomain}`;
    const hosts = pulumi.all([host, ...customDomains]);
    const scheme = certIssuer === "" ? "http" : "https";

    // Secret variables live in their own Secret: the Deployment holds only references, and the
    // stack's state keeps the values encrypted as Pulumi secrets.
    const secretEnvNames = Object.keys(args.secretEnv ?? {}).sort();
    const secretEnv =
      secretEnvNames.length === 0
        ? undefined
        : new k8s.core.v1.Secret(
            `${name}-secret-env`,
            {
              metadata: { name: secretEnvSecretName(app), namespace: args.namespace, labels },
              type: "Opaque",
              stringData: Object.fromEntries(
                secretEnvNames.map((key) => [
                  key,
                  pulumi.secret((args.secretEnv ?? {})[key] as pulumi.Input<string>),
                ]),
              ),
            },
            child,
          );
    // A pod reads its env when it starts: only a changed template makes new pods read new values.
    // The checksum is no secret: the values cannot be read back from it.
    const podAnnotations: Record<string, pulumi.Input<string>> = secretEnv === undefined
      ? {}
      : {
          [SECRET_ENV_CHECKSUM_ANNOTATION]: pulumi.unsecret(
            pulumi.all(args.secretEnv ?? {}).apply((values) => secretEnvChecksum(values)),
          ),
        };
    const imagePullSecrets = (args.imagePullSecrets ?? []).map((secretName) => ({ name: secretName }));

    const { volumes, volumeMounts } = appVolumes(
      args.volumes ?? [],
      args.mounts ?? [],
      readOnlyRootFilesystem,
      args.disk,
    );
    const container = appContainer(
      {
        app,
        image: checkedInput(args.image, imageProblem, this),
        command: args.command,
        args: args.args,
        env: appEnv({
          base: args.baseEnv,
          secretKeys: args.secretKeyEnv,
          env: args.env,
          overrides: args.envOverrides,
          secret: secretEnv && { names: secretEnvNames, secretName: secretEnv.metadata.name },
        }),
        workingDir: args.workingDir,
        user: args.user,
        cpu: args.cpu,
        memory: args.memory,
        disk: args.disk,
        port,
        probe: args.probe,
        readOnlyRootFilesystem,
        volumeMounts,
      },
      workload,
    );

    if (workload === Workload.knative) {
      const service = new k8s.apiextensions.CustomResource(
        `${name}-knative-service`,
        {
          apiVersion: "serving.knative.dev/v1",
          kind: "Service",
          // Cluster-local: the app is public only on the hosts mapped below, never on Knative's
          // own `<app>.<namespace>.<domain>` name.
          metadata: { ...meta, labels: { ...labels, "networking.knative.dev/visibility": "cluster-local" } },
          spec: {
            template: {
              metadata: {
                labels,
                annotations: {
                  ...podAnnotations,
                  "autoscaling.knative.dev/min-scale": "0",
                  "autoscaling.knative.dev/max-scale": String(replicas),
                },
              },
              spec: {
                serviceAccountName,
                automountServiceAccountToken: false,
                runtimeClassName: args.runtimeClassName,
                priorityClassName: args.priorityClassName,
                ...(imagePullSecrets.length === 0 ? {} : { imagePullSecrets }),
                containers: [container],
                volumes,
              },
            },
          },
        },
        child,
      );
      const mapDomain = (suffix: string, domain: pulumi.Input<string>) =>
        new k8s.apiextensions.CustomResource(
          `${name}-domain-${suffix}`,
          {
            apiVersion: "serving.knative.dev/v1beta1",
            kind: "DomainMapping",
            metadata: { name: domain, namespace: args.namespace, labels },
            spec: {
              ref: { apiVersion: "serving.knative.dev/v1", kind: "Service", name: service.metadata.name },
            },
          },
          child,
        );
      mapDomain("subdomain", host);
      for (const domain of customDomains) mapDomain(domain, domain);
      this.deploymentName = service.metadata.name;
      this.serviceName = service.metadata.name;
    } else {
      const deployment = new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
          metadata: meta,
          spec: {
            replicas,
            selector: { matchLabels: appSelector(project, app) },
            // A new pod must be ready before an old one goes: updates never lower capacity.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            minReadySeconds,
            revisionHistoryLimit: 3,
            template: {
              metadata: secretEnv === undefined ? { labels } : { labels, annotations: podAnnotations },
              spec: {
                serviceAccountName,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: podSecurityContext(args.user),
                runtimeClassName: args.runtimeClassName,
                priorityClassName: args.priorityClassName,
                ...(imagePullSecrets.length === 0 ? {} : { imagePullSecrets }),
                containers: [container],
                volumes,
              },
            },
          },
        },
        child,
      );
      const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
          metadata: {
            ...meta,
            annotations: {
              // The Deployment's wait for Available already proves ready pods behind the selector,
              // which this component writes for both; the provider's own wait for the Service's
              // endpoints added about 10 s to every new app's run (B1) and proved nothing more.
              "pulumi.com/skipAwait": "true",
            },
          },
          spec: {
            type: "ClusterIP",
            selector: appSelector(project, app),
            ports: [{ name: "http", port: SERVICE_PORT, targetPort: portName(workload), protocol: "TCP" }],
          },
        },
        child,
      );
      new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        {
          metadata: {
            ...meta,
            annotations: {
              // The provider waits for the controller to publish an address in the Ingress
              // status; in a zone whose controller does not, every up would time out.
              // https://github.com/pulumi/pulumi-kubernetes/issues/1915
              "pulumi.com/skipAwait": "true",
              ...(certIssuer === "" ? {} : { "cert-manager.io/cluster-issuer": certIssuer }),
            },
          },
          spec: {
            ingressClassName: ingressClass,
            rules: hosts.apply((names) =>
              names.map((ruleHost) => ({
                host: ruleHost,
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: app, port: { name: "http" } } },
                    },
                  ],
                },
              })),
            ),
            tls: certIssuer === "" ? undefined : [{ hosts, secretName: `${app}-tls` }],
          },
        },
        { ...child, dependsOn: [service] },
      );
      this.deploymentName = deployment.metadata.name;
      this.serviceName = service.metadata.name;
    }

    this.host = host;
    this.urls = hosts.apply((names) => names.map((name) => `${scheme}://${name}`));
    this.url = pulumi.interpolate`${scheme}://${host}`;
    this.namespace = pulumi.output(args.namespace);
    this.registerOutputs({
      url: this.url,
      urls: this.urls,
      host: this.host,
      namespace: this.namespace,
      deploymentName: this.deploymentName,
      serviceName: this.serviceName,
    });
  }
}
