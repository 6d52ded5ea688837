/**
 * Apps are published only on names the project holds: one label under the zone's base domain
 * (its random subdomains) or a custom domain the platform verified for it, always over TLS.
 * A wildcard or an empty host would take traffic meant for other projects.
 */
import * as k8s from "@pulumi/kubernetes";
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import type { IngressHostsConfig } from "../config.js";
import type { ObjectMeta } from "../kube.js";
import { coveringClaim } from "../../spec/domains.js";
import { isDnsLabel, isHostName } from "../../spec/names.js";

type IngressSpec = Unwrap<k8s.types.input.networking.v1.IngressSpec>;

/** Knative's custom-domain object, which claims its `metadata.name` as a host. */
export const KNATIVE_DOMAIN_MAPPING_TYPES = [
  "kubernetes:serving.knative.dev/v1beta1:DomainMapping",
  "kubernetes:serving.knative.dev/v1alpha1:DomainMapping",
];

/** ingress-nginx serves an Ingress on these extra names too. */
const HOST_ANNOTATIONS = ["nginx.ingress.kubernetes.io/server-alias"];

interface HostRule {
  readonly baseDomain: string;
  readonly verifiedDomains: readonly string[];
}

interface IngressRule extends HostRule {
  readonly requireTls: boolean;
}

/** Why a host is refused, or `undefined` when the project may use it. */
export function hostProblem(
  host: string | undefined,
  { baseDomain, verifiedDomains }: HostRule,
): string | undefined {
  if (host === undefined || host === "") return "must be set: an empty host answers for every domain";
  if (host.includes("*")) return `'${host}' must not be a wildcard`;
  if (!isHostName(host))
    return `'${host}' is not a host name such as app.example.org (lowercase, no wildcard)`;
  if (coveringClaim(verifiedDomains, host) !== undefined) return undefined;
  const suffix = `.${baseDomain}`;
  if (baseDomain !== "" && host.endsWith(suffix) && isDnsLabel(host.slice(0, -suffix.length)))
    return undefined;
  const under = baseDomain
    ? `one label under ${baseDomain}`
    : "under the zone's base domain (none configured)";
  const verified = verifiedDomains.length ? verifiedDomains.join(", ") : "none";
  return `'${host}' is neither ${under} nor a verified domain of the project (verified: ${verified})`;
}

function checkIngress(
  metadata: ObjectMeta | undefined,
  spec: IngressSpec | undefined,
  config: IngressRule,
  report: ReportViolation,
): void {
  const rules = spec?.rules ?? [];
  if (rules.length === 0) report("spec.rules must list at least one host");
  if (spec?.defaultBackend !== undefined) {
    report("spec.defaultBackend must not be set: it answers for hosts no rule names");
  }
  const hosts: string[] = [];
  rules.forEach((rule, index) => {
    const problem = hostProblem(rule.host, config);
    if (problem) report(`spec.rules[${index}].host ${problem}`);
    if (rule.host) hosts.push(rule.host);
  });
  const tls = spec?.tls ?? [];
  if (tls.length === 0 && config.requireTls) {
    report("spec.tls must be set: TLS is required for every host");
  }
  const covered = new Set<string>();
  tls.forEach((entry, index) => {
    if (!entry.secretName) report(`spec.tls[${index}].secretName must be set`);
    (entry.hosts ?? []).forEach((host, hostIndex) => {
      const problem = hostProblem(host, config);
      if (problem) report(`spec.tls[${index}].hosts[${hostIndex}] ${problem}`);
      covered.add(host);
    });
  });
  if (tls.length > 0) {
    for (const host of hosts) {
      if (!covered.has(host)) report(`spec.tls must cover host '${host}'`);
    }
  }
  for (const annotation of HOST_ANNOTATIONS) {
    if (metadata?.annotations?.[annotation] !== undefined) {
      report(`metadata.annotations['${annotation}'] must not be set: it serves hosts the rules do not check`);
    }
  }
}

export const ingressHosts: ResourceValidationPolicy = {
  name: "ingress-hosts",
  description:
    "Ingress hosts are one label under the zone's base domain or a verified domain of the project; no wildcard or empty host; TLS for every host.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      baseDomain: {
        type: "string",
        default: "",
        description: "The zone's base domain; apps get <label>.<baseDomain>.",
      },
      verifiedDomains: {
        type: "array",
        items: { type: "string" },
        default: [],
        description:
          "Custom domains verified for the project: a host name allows that host, a wildcard such as *.example.org every name under example.org.",
      },
      requireTls: {
        type: "boolean",
        default: true,
        description: "Whether every host needs TLS; false only for a zone without a certificate issuer.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const {
      baseDomain = "",
      verifiedDomains = [],
      requireTls = true,
    } = args.getConfig<Partial<IngressHostsConfig>>();
    const config = { baseDomain, verifiedDomains, requireTls };
    const ingress = args.asType(k8s.networking.v1.Ingress);
    if (ingress) {
      checkIngress(ingress.metadata, ingress.spec, config, reportViolation);
      return;
    }
    if (KNATIVE_DOMAIN_MAPPING_TYPES.includes(args.type)) {
      const name = (args.props.metadata as ObjectMeta | undefined)?.name;
      const problem = hostProblem(name, config);
      if (problem) reportViolation(`metadata.name ${problem}`);
      return;
    }
    return args.notApplicable("Policy only applies to Ingresses and Knative DomainMappings");
  },
};
