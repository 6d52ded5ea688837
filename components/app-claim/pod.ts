import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AppProbe, AppSecretKeyEnv, AppVolume, AppVolumeMount } from "./args.js";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Probe = k8s.types.input.core.v1.Probe;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Env = Readonly<Record<string, pulumi.Input<string>>>;

/** Which workload runs the pods: a Deployment, or Knative Serving for a serverless app. */
export const Workload = { deployment: "deployment", knative: "knative" } as const;
export type Workload = (typeof Workload)[keyof typeof Workload];

/** Name of the container port; Knative wants `http1` (or `h2c`) to know the protocol. */
export function portName(workload: Workload): string {
  return workload === Workload.knative ? "http1" : "http";
}

/**
 * The container's environment: the base env (the zone's), overridden by the app's env,
 * overridden by the app's env for this zone. Sorted by name so that reordering a spec does not
 * roll the pods.
 */
export function mergeEnv(base: Env = {}, env: Env = {}, overrides: Env = {}): EnvVar[] {
  return appEnv({ base, env, overrides });
}

/** Where the container's variables come from, from the lowest precedence to the highest. */
export interface EnvSources {
  /** The zone's plain variables. */
  readonly base?: Env;
  /** Variables read from keys of Secrets, such as the claims' credentials. */
  readonly secretKeys?: readonly AppSecretKeyEnv[];
  /** The app's plain variables. */
  readonly env?: Env;
  /** The app's plain variables for this zone. */
  readonly overrides?: Env;
  /** The app's secret variables: their names, and the Secret that holds their values. */
  readonly secret?: { readonly names: readonly string[]; readonly secretName: pulumi.Input<string> };
}

/**
 * The container's environment, each name once, from the source of highest precedence. Sorted by
 * name so that reordering a spec does not roll the pods. Values from Secrets are references
 * (`valueFrom.secretKeyRef`): the program never reads them.
 */
export function appEnv(sources: EnvSources): EnvVar[] {
  const merged = new Map<string, EnvVar>();
  const plain = (values: Env = {}) => {
    for (const [name, value] of Object.entries(values)) merged.set(name, { name, value });
  };
  plain(sources.base);
  for (const ref of sources.secretKeys ?? []) {
    merged.set(ref.name, {
      name: ref.name,
      valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
    });
  }
  plain(sources.env);
  plain(sources.overrides);
  const secret = sources.secret;
  if (secret) {
    for (const name of secret.names) {
      merged.set(name, { name, valueFrom: { secretKeyRef: { name: secret.secretName, key: name } } });
    }
  }
  return [...merged.keys()].sort().map((name) => merged.get(name) as EnvVar);
}

/** Fields of the `restricted` Pod Security profile, set on the container. */
export function containerSecurityContext(
  readOnlyRootFilesystem: boolean,
  user: number | undefined,
): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    ...(user === undefined ? {} : { runAsUser: user, runAsGroup: user }),
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
    readOnlyRootFilesystem,
  };
}

/** Pod-level security context of a Deployment's pods; `fsGroup` lets the user write to its volumes. */
export function podSecurityContext(user: number | undefined): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    ...(user === undefined ? {} : { runAsUser: user, runAsGroup: user, fsGroup: user }),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Readiness and liveness checks: an HTTP GET of `probe.path`, otherwise a TCP connect to the
 * port. Liveness starts later and tolerates more failures, so a slow start is not a restart loop.
 */
export function appProbes(
  probe: AppProbe | undefined,
  port: number,
  workload: Workload,
): { readinessProbe: Probe; livenessProbe: Probe } {
  // Knative checks probes against the one container port by number.
  const target = workload === Workload.knative ? port : portName(workload);
  const handler =
    probe?.path === undefined
      ? { tcpSocket: { port: target } }
      : { httpGet: { path: probe.path, port: target } };
  const delay = probe?.initialDelaySeconds ?? 0;
  return {
    readinessProbe: {
      ...handler,
      initialDelaySeconds: delay,
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      ...handler,
      initialDelaySeconds: delay + 10,
      periodSeconds: 15,
      timeoutSeconds: 2,
      failureThreshold: 4,
    },
  };
}

/** Pod volume name of a project volume; `tmp` stays free for the scratch directory. */
export const podVolumeName = (volume: string): string => `volume-${volume}`;

/** Name of the writable scratch emptyDir mounted at /tmp under a read-only root filesystem. */
export const TMP_VOLUME = "tmp";

/**
 * The pod's volumes and the container's mounts: a persistent volume mounts its claim, an
 * ephemeral one is an emptyDir limited to its size; a read-only root gets a writable /tmp
 * limited to the container's disk unless a volume is mounted there already.
 */
export function appVolumes(
  volumes: readonly AppVolume[],
  mounts: readonly AppVolumeMount[],
  readOnlyRootFilesystem: boolean,
  disk: string,
): { volumes: Volume[]; volumeMounts: VolumeMount[] } {
  const byName = new Map(volumes.map((volume) => [volume.name, volume]));
  const podVolumes: Volume[] = [];
  const added = new Set<string>();
  const volumeMounts: VolumeMount[] = [];
  for (const mount of mounts) {
    const volume = byName.get(mount.volume);
    if (volume === undefined) continue; // refused by validateAppClaimArgs
    if (!added.has(volume.name)) {
      added.add(volume.name);
      podVolumes.push(
        volume.kind === "persistent"
          ? {
              name: podVolumeName(volume.name),
              persistentVolumeClaim: { claimName: volume.claimName ?? volume.name },
            }
          : { name: podVolumeName(volume.name), emptyDir: { sizeLimit: volume.size } },
      );
    }
    volumeMounts.push({
      name: podVolumeName(volume.name),
      mountPath: mount.mountPath,
      readOnly: mount.readOnly ?? false,
    });
  }
  if (readOnlyRootFilesystem && !mounts.some((mount) => mount.mountPath === "/tmp")) {
    podVolumes.push({ name: TMP_VOLUME, emptyDir: { sizeLimit: disk } });
    volumeMounts.push({ name: TMP_VOLUME, mountPath: "/tmp" });
  }
  return { volumes: podVolumes, volumeMounts };
}

/** Everything about the app's one container that does not depend on the workload kind's names. */
export interface ContainerSettings {
  readonly app: string;
  readonly image: pulumi.Input<string>;
  readonly command?: pulumi.Input<pulumi.Input<string>[]>;
  readonly args?: pulumi.Input<pulumi.Input<string>[]>;
  readonly env: EnvVar[];
  readonly workingDir?: string;
  readonly user?: number;
  readonly cpu: string;
  readonly memory: string;
  readonly disk: string;
  readonly port: number;
  readonly probe?: AppProbe;
  readonly readOnlyRootFilesystem: boolean;
  readonly volumeMounts: VolumeMount[];
}

/** The app's container: requests = limits, restricted security context, probes, mounts. */
export function appContainer(settings: ContainerSettings, workload: Workload): Container {
  const resources = { cpu: settings.cpu, memory: settings.memory, "ephemeral-storage": settings.disk };
  return {
    name: settings.app,
    image: settings.image,
    command: settings.command,
    args: settings.args,
    workingDir: settings.workingDir,
    env: settings.env,
    ports: [{ name: portName(workload), containerPort: settings.port, protocol: "TCP" }],
    resources: { requests: resources, limits: resources },
    securityContext: containerSecurityContext(settings.readOnlyRootFilesystem, settings.user),
    ...appProbes(settings.probe, settings.port, workload),
    volumeMounts: settings.volumeMounts,
  };
}
