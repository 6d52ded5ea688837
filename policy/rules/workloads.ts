/**
 * Resource validation over every workload kind. One function that dispatches on the type rather
 * than an array of `validateResourceOfType` validations: the SDK reports a policy "not
 * applicable" once per validation in an array that does not match, so a Deployment would be
 * reported not applicable six times by the same rule that checked it.
 */
import type { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { WorkloadKind, podTemplateOf, workloadKindOf, type PodTemplate } from "../kube.js";

const KINDS = Object.values(WorkloadKind).join(", ");

export function validatePodTemplates(
  check: (pod: PodTemplate, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    const kind = workloadKindOf(args);
    if (kind === undefined) return args.notApplicable(`Policy only applies to workloads (${KINDS})`);
    const pod = podTemplateOf(args, kind);
    if (pod) check(pod, args, reportViolation);
  };
}
