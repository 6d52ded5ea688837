import { describe, expect, it } from "vitest";
import { podSecurityRestricted } from "../../policy/rules/pod-security-restricted.js";
import {
  container,
  deployment,
  podSecurityContext,
  podSpec,
  POD_SPEC_PATH,
  securityContext,
  service,
  workload,
  WORKLOADS,
  type ContainerProps,
  type PodSpecProps,
} from "./fixtures.js";
import { messages, validateResource } from "./harness.js";

const POD = "spec.template.spec";
const CONTAINER = `${POD}.containers[0]`;

async function violationsOfPod(spec: PodSpecProps): Promise<string[]> {
  return messages(await validateResource(podSecurityRestricted, deployment({ spec })));
}

async function violationsOfContainer(overrides: Partial<ContainerProps>): Promise<string[]> {
  return violationsOfPod(podSpec({ containers: [container(overrides)] }));
}

describe("pod-security-restricted", () => {
  it.each(WORKLOADS)("accepts a restricted %s", async (kind) => {
    const outcome = await validateResource(podSecurityRestricted, workload(kind));

    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([]);
  });

  it("is not applicable to a Service", async () => {
    const outcome = await validateResource(podSecurityRestricted, service());

    expect(outcome.notApplicable).toHaveLength(1);
  });

  it.each(WORKLOADS)("names the field in a %s's own pod path", async (kind) => {
    const spec = podSpec({
      containers: [container({ securityContext: securityContext({ privileged: true }) })],
    });

    const outcome = await validateResource(podSecurityRestricted, workload(kind, { spec }));

    expect(messages(outcome)).toEqual([
      `${POD_SPEC_PATH[kind]}.containers[0].securityContext.privileged must be false`,
    ]);
  });

  describe("host access", () => {
    it.each(["hostNetwork", "hostPID", "hostIPC"] as const)("refuses %s", async (field) => {
      expect(await violationsOfPod(podSpec({ [field]: true }))).toEqual([
        `${POD}.${field} must be false: pods may not share the node's namespaces`,
      ]);
    });

    it("refuses a hostPath volume", async () => {
      const spec = podSpec({ volumes: [{ name: "root", hostPath: { path: "/" } }] });

      expect(await violationsOfPod(spec)).toEqual([
        `${POD}.volumes[0].hostPath is not an allowed volume type; restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret`,
      ]);
    });

    it("refuses other volume types restricted does not allow", async () => {
      const spec = podSpec({ volumes: [{ name: "share", nfs: { server: "nas", path: "/export" } }] });

      expect((await violationsOfPod(spec))[0]).toMatch(
        /^spec\.template\.spec\.volumes\[0\]\.nfs is not an allowed/,
      );
    });

    it("allows the volume types restricted allows", async () => {
      const spec = podSpec({
        volumes: [
          { name: "data", persistentVolumeClaim: { claimName: "data" } },
          { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
          { name: "config", configMap: { name: "settings" } },
          { name: "keys", secret: { secretName: "keys" } },
          { name: "info", downwardAPI: { items: [] } },
          { name: "token", projected: { sources: [] } },
        ],
      });

      expect(await violationsOfPod(spec)).toEqual([]);
    });

    it("refuses a hostPort", async () => {
      expect(await violationsOfContainer({ ports: [{ containerPort: 8080, hostPort: 80 }] })).toEqual([
        `${CONTAINER}.ports[0].hostPort must not be set: pods may not bind the node's ports`,
      ]);
    });
  });

  describe("container security context", () => {
    it("refuses a privileged container", async () => {
      expect(await violationsOfContainer({ securityContext: securityContext({ privileged: true }) })).toEqual(
        [`${CONTAINER}.securityContext.privileged must be false`],
      );
    });

    it("refuses allowPrivilegeEscalation true", async () => {
      expect(
        await violationsOfContainer({ securityContext: securityContext({ allowPrivilegeEscalation: true }) }),
      ).toEqual([`${CONTAINER}.securityContext.allowPrivilegeEscalation must be false`]);
    });

    it("refuses allowPrivilegeEscalation left unset", async () => {
      expect(
        await violationsOfContainer({
          securityContext: securityContext({ allowPrivilegeEscalation: undefined }),
        }),
      ).toEqual([`${CONTAINER}.securityContext.allowPrivilegeEscalation must be false`]);
    });

    it("refuses capabilities that do not drop ALL", async () => {
      const context = securityContext({ capabilities: { drop: ["NET_RAW"] } });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([
        `${CONTAINER}.securityContext.capabilities.drop must include ALL`,
      ]);
    });

    it("refuses an added capability other than NET_BIND_SERVICE", async () => {
      const context = securityContext({
        capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE", "SYS_ADMIN"] },
      });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([
        `${CONTAINER}.securityContext.capabilities.add[1] 'SYS_ADMIN' is not allowed; only NET_BIND_SERVICE may be added`,
      ]);
    });

    it("refuses runAsNonRoot false on the container even when the pod says true", async () => {
      expect(
        await violationsOfContainer({ securityContext: securityContext({ runAsNonRoot: false }) }),
      ).toEqual([`${CONTAINER}.securityContext.runAsNonRoot must be true`]);
    });

    it("refuses runAsNonRoot set neither on the container nor on the pod", async () => {
      const spec = podSpec({
        securityContext: podSecurityContext({ runAsNonRoot: undefined }),
        containers: [container({ securityContext: securityContext({ runAsNonRoot: undefined }) })],
      });

      expect(await violationsOfPod(spec)).toEqual([
        `${CONTAINER}.securityContext.runAsNonRoot must be true (here or in ${POD}.securityContext)`,
      ]);
    });

    it("accepts runAsNonRoot set on the pod only", async () => {
      const spec = podSpec({
        containers: [container({ securityContext: securityContext({ runAsNonRoot: undefined }) })],
      });

      expect(await violationsOfPod(spec)).toEqual([]);
    });

    it("refuses runAsUser 0 on a container", async () => {
      expect(await violationsOfContainer({ securityContext: securityContext({ runAsUser: 0 }) })).toEqual([
        `${CONTAINER}.securityContext.runAsUser must not be 0 (root)`,
      ]);
    });

    it("refuses an Unconfined seccomp profile", async () => {
      const context = securityContext({ seccompProfile: { type: "Unconfined" } });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([
        `${CONTAINER}.securityContext.seccompProfile.type must be RuntimeDefault or Localhost, got 'Unconfined'`,
      ]);
    });

    it("refuses a seccomp profile set neither on the container nor on the pod", async () => {
      const spec = podSpec({
        securityContext: podSecurityContext({ seccompProfile: undefined }),
        containers: [container({ securityContext: securityContext({ seccompProfile: undefined }) })],
      });

      expect(await violationsOfPod(spec)).toEqual([
        `${CONTAINER}.securityContext.seccompProfile.type must be RuntimeDefault or Localhost (here or in ${POD}.securityContext)`,
      ]);
    });

    it("accepts a Localhost seccomp profile", async () => {
      const context = securityContext({
        seccompProfile: { type: "Localhost", localhostProfile: "profiles/app.json" },
      });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([]);
    });

    it("refuses an Unmasked procMount", async () => {
      expect(
        await violationsOfContainer({ securityContext: securityContext({ procMount: "Unmasked" }) }),
      ).toEqual([`${CONTAINER}.securityContext.procMount must be Default, got 'Unmasked'`]);
    });

    it("refuses a custom SELinux type and user", async () => {
      const context = securityContext({ seLinuxOptions: { type: "spc_t", user: "system_u" } });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([
        `${CONTAINER}.securityContext.seLinuxOptions.type must be one of container_t, container_init_t, container_kvm_t, container_engine_t, got 'spc_t'`,
        `${CONTAINER}.securityContext.seLinuxOptions.user must not be set`,
      ]);
    });

    it("refuses an unconfined AppArmor profile", async () => {
      const context = securityContext({ appArmorProfile: { type: "Unconfined" } });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([
        `${CONTAINER}.securityContext.appArmorProfile.type must be RuntimeDefault or Localhost, got 'Unconfined'`,
      ]);
    });

    it("refuses a Windows host process", async () => {
      const context = securityContext({ windowsOptions: { hostProcess: true } });

      expect(await violationsOfContainer({ securityContext: context })).toEqual([
        `${CONTAINER}.securityContext.windowsOptions.hostProcess must be false`,
      ]);
    });
  });

  describe("pod security context", () => {
    it("refuses runAsNonRoot false on the pod", async () => {
      const spec = podSpec({ securityContext: podSecurityContext({ runAsNonRoot: false }) });

      expect(await violationsOfPod(spec)).toEqual([`${POD}.securityContext.runAsNonRoot must be true`]);
    });

    it("refuses runAsUser 0 on the pod", async () => {
      const spec = podSpec({ securityContext: podSecurityContext({ runAsUser: 0 }) });

      expect(await violationsOfPod(spec)).toEqual([`${POD}.securityContext.runAsUser must not be 0 (root)`]);
    });

    it("refuses an Unconfined seccomp profile on the pod", async () => {
      const spec = podSpec({
        securityContext: podSecurityContext({ seccompProfile: { type: "Unconfined" } }),
      });

      expect(await violationsOfPod(spec)).toEqual([
        `${POD}.securityContext.seccompProfile.type must be RuntimeDefault or Localhost, got 'Unconfined'`,
      ]);
    });

    it("refuses an unsafe sysctl", async () => {
      const spec = podSpec({
        securityContext: podSecurityContext({
          sysctls: [
            { name: "net.ipv4.ip_unprivileged_port_start", value: "0" },
            { name: "kernel.msgmax", value: "65536" },
          ],
        }),
      });

      expect(await violationsOfPod(spec)).toEqual([
        expect.stringMatching(
          /^spec\.template\.spec\.securityContext\.sysctls\[1\]\.name 'kernel\.msgmax' is not a safe sysctl/,
        ),
      ]);
    });

    it("refuses an AppArmor annotation that unconfines a container", async () => {
      const outcome = await validateResource(
        podSecurityRestricted,
        deployment({
          podMetadata: {
            annotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" },
          },
        }),
      );

      expect(messages(outcome)).toEqual([
        "spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app'] must be runtime/default or localhost/<profile>",
      ]);
    });
  });

  describe("init and ephemeral containers", () => {
    it("checks init containers", async () => {
      const spec = podSpec({
        initContainers: [
          container({ name: "setup", securityContext: securityContext({ privileged: true }) }),
        ],
      });

      expect(await violationsOfPod(spec)).toEqual([
        `${POD}.initContainers[0].securityContext.privileged must be false`,
      ]);
    });

    it("checks ephemeral containers", async () => {
      const spec = podSpec({
        ephemeralContainers: [
          {
            name: "debug",
            image: "busybox:1.36",
            securityContext: securityContext({ allowPrivilegeEscalation: true }),
          },
        ],
      });

      expect(await violationsOfPod(spec)).toEqual([
        `${POD}.ephemeralContainers[0].securityContext.allowPrivilegeEscalation must be false`,
      ]);
    });
  });
});
