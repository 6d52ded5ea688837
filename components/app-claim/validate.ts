import type * as pulumi from "@pulumi/pulumi";
import { isDnsLabel, isEnvName, isHostName, isImageReference } from "../../spec/names.js";
import { isByteQuantity, isCpuQuantity } from "../../spec/quantity.js";
import { ArgumentProblems, isAbsolutePath, isDnsSubdomain, isIntegerIn, isPlain } from "../validation.js";
import type { AppClaimArgs } from "./args.js";

const DNS_LABEL =
  "a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)";
const ENV_NAME = "an environment variable name (letters, digits and '_', not starting with a digit)";
const IMAGE =
  "an image reference such as nginx:1.27 or registry.example.org/team/app@sha256:<digest> (no spaces, lowercase registry host)";

/** The message for an image that is not a valid reference, shared with the check on resolution. */
export function imageProblem(image: string): string | undefined {
  return isImageReference(image) ? undefined : `image must be ${IMAGE}, got ${JSON.stringify(image)}`;
}

function checkEnv(
  argument: string,
  env: Readonly<Record<string, unknown>> | undefined,
  problems: ArgumentProblems,
): void {
  for (const name of Object.keys(env ?? {})) {
    if (!isEnvName(name)) problems.expect(`${argument} name`, ENV_NAME, name);
  }
}

function checkVolumes(args: AppClaimArgs, problems: ArgumentProblems): void {
  const names = new Set<string>();
  (args.volumes ?? []).forEach((volume, index) => {
    const at = `volumes[${index}]`;
    if (!isDnsLabel(volume.name, 40))
      problems.expect(`${at}.name`, `${DNS_LABEL}, at most 40 characters`, volume.name);
    else if (names.has(volume.name)) problems.add(`${at}.name must be unique, got ${volume.name} twice`);
    names.add(volume.name);
    if (volume.kind !== "persistent" && volume.kind !== "ephemeral") {
      problems.expect(`${at}.kind`, "persistent or ephemeral", volume.kind);
    }
    if (typeof volume.size !== "string" || !isByteQuantity(volume.size)) {
      problems.expect(`${at}.size`, "a positive size such as 1Gi", volume.size);
    }
    if (volume.kind === "persistent" && volume.claimName === undefined) {
      problems.add(`${at}.claimName is required for a persistent volume: the claim the project made for it`);
    }
  });

  const paths = new Set<string>();
  (args.mounts ?? []).forEach((mount, index) => {
    const at = `mounts[${index}]`;
    if (!names.has(mount.volume)) {
      problems.add(
        `${at}.volume must name one of the volumes (${[...names].join(", ") || "none"}), got ${JSON.stringify(mount.volume)}`,
      );
    }
    if (typeof mount.mountPath !== "string" || !isAbsolutePath(mount.mountPath)) {
      problems.expect(`${at}.mountPath`, "an absolute path without spaces such as /data", mount.mountPath);
    } else if (paths.has(mount.mountPath)) {
      problems.add(`${at}.mountPath must be unique, got ${mount.mountPath} twice`);
    }
    paths.add(mount.mountPath);
  });
}

function checkDomains(args: AppClaimArgs, problems: ArgumentProblems): void {
  if (typeof args.baseDomain !== "string" || !isHostName(args.baseDomain)) {
    problems.expect("baseDomain", "a host name such as apps.example.org", args.baseDomain);
  }
  const seen = new Set<string>();
  (args.customDomains ?? []).forEach((domain, index) => {
    if (!isHostName(domain)) {
      problems.expect(
        `customDomains[${index}]`,
        "a host name such as shop.example.org (lowercase, no wildcard)",
        domain,
      );
    } else if (seen.has(domain)) {
      problems.add(`customDomains[${index}] must be unique, got ${domain} twice`);
    } else if (domain === args.baseDomain || domain.endsWith(`.${args.baseDomain}`)) {
      problems.add(
        `customDomains[${index}] must be outside the zone's base domain ${args.baseDomain}, got ${domain}`,
      );
    }
    seen.add(domain);
  });
}

/**
 * Checks an AppClaim's arguments before any child exists; throws one `pulumi.ResourceError`
 * naming every argument that is wrong and what is allowed. Outputs are left to `checkedInput`.
 */
export function validateAppClaimArgs(args: AppClaimArgs, resource?: pulumi.Resource): void {
  const problems = new ArgumentProblems();
  if (typeof args.project !== "string" || !isDnsLabel(args.project)) {
    problems.expect("project", DNS_LABEL, args.project);
  }
  if (typeof args.app !== "string" || !isDnsLabel(args.app, 40)) {
    problems.expect("app", `${DNS_LABEL}, at most 40 characters`, args.app);
  }
  if (isPlain(args.image)) {
    const problem = typeof args.image === "string" ? imageProblem(args.image) : `image must be ${IMAGE}`;
    if (problem) problems.add(problem);
  }
  if (isPlain(args.namespace) && (typeof args.namespace !== "string" || !isDnsLabel(args.namespace))) {
    problems.expect("namespace", DNS_LABEL, args.namespace);
  }

  if (typeof args.cpu !== "string" || !isCpuQuantity(args.cpu)) {
    problems.expect("cpu", "a positive quantity such as 250m or 1", args.cpu);
  }
  if (typeof args.memory !== "string" || !isByteQuantity(args.memory)) {
    problems.expect("memory", "a positive size such as 512Mi or 1Gi", args.memory);
  }
  if (typeof args.disk !== "string" || !isByteQuantity(args.disk)) {
    problems.expect("disk", "a positive size such as 1Gi", args.disk);
  }

  const serverless = args.serverless ?? false;
  if (serverless && !(args.knative ?? false)) {
    problems.add("serverless must be false in this zone: it does not run Knative Serving (knative is false)");
  }
  if (args.replicas !== undefined && !isIntegerIn(args.replicas, serverless ? 1 : 0, 50)) {
    problems.expect(
      "replicas",
      serverless ? "a whole number from 1 to 50 for a serverless app" : "a whole number from 0 to 50",
      args.replicas,
    );
  }
  if (args.port !== undefined && !isIntegerIn(args.port, 1, 65535)) {
    problems.expect("port", "a TCP port from 1 to 65535", args.port);
  }
  if (args.user !== undefined && !isIntegerIn(args.user, 1, 2_147_483_647)) {
    problems.expect("user", "a non-root numeric user id from 1 to 2147483647", args.user);
  }
  if (args.workingDir !== undefined && !isAbsolutePath(args.workingDir)) {
    problems.expect("workingDir", "an absolute path without spaces such as /app", args.workingDir);
  }
  if (args.minReadySeconds !== undefined && !isIntegerIn(args.minReadySeconds, 0, 3600)) {
    problems.expect("minReadySeconds", "a whole number of seconds from 0 to 3600", args.minReadySeconds);
  }
  if (args.probe?.path !== undefined && !/^\/\S*$/.test(args.probe.path)) {
    problems.expect("probe.path", "an absolute URL path such as /healthz", args.probe.path);
  }
  if (args.probe?.initialDelaySeconds !== undefined && !isIntegerIn(args.probe.initialDelaySeconds, 0, 600)) {
    problems.expect(
      "probe.initialDelaySeconds",
      "a whole number of seconds from 0 to 600",
      args.probe.initialDelaySeconds,
    );
  }

  checkEnv("baseEnv", args.baseEnv, problems);
  checkEnv("env", args.env, problems);
  checkEnv("envOverrides", args.envOverrides, problems);
  checkEnv("secretEnv", args.secretEnv, problems);
  (args.secretKeyEnv ?? []).forEach((ref, index) => {
    if (!isEnvName(ref.name)) problems.expect(`secretKeyEnv[${index}].name`, ENV_NAME, ref.name);
    if (typeof ref.key !== "string" || !/^[-._a-zA-Z0-9]{1,253}$/.test(ref.key)) {
      problems.expect(
        `secretKeyEnv[${index}].key`,
        "a Secret key (letters, digits, '-', '_' and '.')",
        ref.key,
      );
    }
  });
  checkVolumes(args, problems);
  checkDomains(args, problems);

  for (const key of ["runtimeClassName", "priorityClassName", "certIssuer"] as const) {
    const value = args[key];
    if (value !== undefined && value !== "" && !isDnsSubdomain(value)) {
      problems.expect(
        key,
        "a Kubernetes object name such as letsencrypt-prod (lowercase, digits, '-' and '.')",
        value,
      );
    }
  }

  problems.throwIfAny("AppClaim", resource);
}
