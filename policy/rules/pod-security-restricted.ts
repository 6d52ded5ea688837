/**
 * The Kubernetes Pod Security Standard `restricted` (which includes `baseline`), field by field,
 * as https://kubernetes.io/docs/concepts/security/pod-security-standards/ lists it. The tenant
 * namespace also enforces it through Pod Security Admission; this rule refuses the stack before
 * anything is created, and says which field is wrong.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  containersOf,
  type ContainerAt,
  type PodSecurityContext,
  type PodTemplate,
  type SecurityContext,
} from "../kube.js";
import { validatePodTemplates } from "./workloads.js";

/** Volume types `restricted` allows; any other key of a volume (hostPath, nfs, …) is refused. */
export const ALLOWED_VOLUME_TYPES = [
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
] as const;

/** The sysctls `baseline` calls safe (namespaced, isolated between pods), as of Kubernetes 1.32. */
export const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
] as const;

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
const ADDABLE_CAPABILITIES = ["NET_BIND_SERVICE"];
const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

type Report = (message: string) => void;

/** Checks shared by the pod's and each container's security context. */
function checkCommonContext(
  context: SecurityContext | PodSecurityContext | undefined,
  path: string,
  report: Report,
): void {
  if (!context) return;
  if (context.runAsNonRoot === false) report(`${path}.runAsNonRoot must be true`);
  if (context.runAsUser === 0) report(`${path}.runAsUser must not be 0 (root)`);
  const seccomp = context.seccompProfile?.type;
  if (seccomp !== undefined && !SECCOMP_TYPES.includes(seccomp)) {
    report(`${path}.seccompProfile.type must be RuntimeDefault or Localhost, got '${seccomp}'`);
  }
  const appArmor = context.appArmorProfile?.type;
  if (appArmor !== undefined && !APPARMOR_TYPES.includes(appArmor)) {
    report(`${path}.appArmorProfile.type must be RuntimeDefault or Localhost, got '${appArmor}'`);
  }
  const seLinux = context.seLinuxOptions;
  if (seLinux?.type !== undefined && !SELINUX_TYPES.includes(seLinux.type)) {
    report(
      `${path}.seLinuxOptions.type must be one of ${SELINUX_TYPES.slice(1).join(", ")}, got '${seLinux.type}'`,
    );
  }
  if (seLinux?.user) report(`${path}.seLinuxOptions.user must not be set`);
  if (seLinux?.role) report(`${path}.seLinuxOptions.role must not be set`);
  if (context.windowsOptions?.hostProcess === true)
    report(`${path}.windowsOptions.hostProcess must be false`);
}

function checkPod(pod: PodTemplate, report: Report): void {
  const { spec, path } = pod;
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (spec[field] === true)
      report(`${path}.${field} must be false: pods may not share the node's namespaces`);
  }
  const context = spec.securityContext;
  checkCommonContext(context, `${path}.securityContext`, report);
  (context?.sysctls ?? []).forEach((sysctl, index) => {
    if (!(SAFE_SYSCTLS as readonly string[]).includes(sysctl.name)) {
      report(
        `${path}.securityContext.sysctls[${index}].name '${sysctl.name}' is not a safe sysctl; allowed: ${SAFE_SYSCTLS.join(", ")}`,
      );
    }
  });
  (spec.volumes ?? []).forEach((volume, index) => {
    for (const [key, source] of Object.entries(volume)) {
      if (key === "name" || source === undefined || source === null) continue;
      if ((ALLOWED_VOLUME_TYPES as readonly string[]).includes(key)) continue;
      report(
        `${path}.volumes[${index}].${key} is not an allowed volume type; restricted allows only ${ALLOWED_VOLUME_TYPES.join(", ")}`,
      );
    }
  });
  for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX)) continue;
    if (value !== "runtime/default" && !value.startsWith("localhost/")) {
      report(`${pod.metadataPath}.annotations['${key}'] must be runtime/default or localhost/<profile>`);
    }
  }
}

function checkContainer(pod: PodTemplate, { path, container }: ContainerAt, report: Report): void {
  const podContext = pod.spec.securityContext;
  const context = container.securityContext;
  const at = `${path}.securityContext`;
  checkCommonContext(context, at, report);
  if (context?.privileged === true) report(`${at}.privileged must be false`);
  if (context?.allowPrivilegeEscalation !== false) report(`${at}.allowPrivilegeEscalation must be false`);
  if (context?.runAsNonRoot === undefined && podContext?.runAsNonRoot !== true) {
    report(`${at}.runAsNonRoot must be true (here or in ${pod.path}.securityContext)`);
  }
  if (context?.seccompProfile?.type === undefined && podContext?.seccompProfile?.type === undefined) {
    report(
      `${at}.seccompProfile.type must be RuntimeDefault or Localhost (here or in ${pod.path}.securityContext)`,
    );
  }
  if (!(context?.capabilities?.drop ?? []).includes("ALL"))
    report(`${at}.capabilities.drop must include ALL`);
  (context?.capabilities?.add ?? []).forEach((capability, index) => {
    if (!ADDABLE_CAPABILITIES.includes(capability)) {
      report(
        `${at}.capabilities.add[${index}] '${capability}' is not allowed; only NET_BIND_SERVICE may be added`,
      );
    }
  });
  if (context?.procMount !== undefined && context.procMount !== "Default") {
    report(`${at}.procMount must be Default, got '${context.procMount}'`);
  }
  (container.ports ?? []).forEach((port, index) => {
    if (port.hostPort !== undefined && port.hostPort !== 0) {
      report(`${path}.ports[${index}].hostPort must not be set: pods may not bind the node's ports`);
    }
  });
}

export const podSecurityRestricted: ResourceValidationPolicy = {
  name: "pod-security-restricted",
  description:
    "Pods follow the Kubernetes Pod Security 'restricted' profile: no privileged or host access, non-root, no privilege escalation, all capabilities dropped, a seccomp profile.",
  enforcementLevel: "mandatory",
  validateResource: validatePodTemplates((pod, _args, reportViolation) => {
    const report: Report = (message) => reportViolation(message);
    checkPod(pod, report);
    for (const container of containersOf(pod)) checkContainer(pod, container, report);
  }),
};
