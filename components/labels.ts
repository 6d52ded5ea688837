/**
 * Labels every pluskube object carries, so that operators, the policy pack and the service can
 * find what belongs to which project and app with a label selector.
 */

/** Label keys in the platform's words. */
export const LabelKey = {
  managedBy: "app.kubernetes.io/managed-by",
  project: "pluskube.dev/project",
  app: "pluskube.dev/app",
} as const;
export type LabelKey = (typeof LabelKey)[keyof typeof LabelKey];

/**
 * How a database or bucket claim marks its Kubernetes Secret, so that the policy pack can count
 * claims that live outside the cluster: the label says which kind (the kind's singular in
 * spec/claim-kinds.ts, which the pack's tally matches), the annotation the size in GB.
 */
export const CLAIM_LABEL = "pluskube.dev/claim";
export const SIZE_GB_ANNOTATION = "pluskube.dev/size-gb";
export const ClaimKind = { database: "database", bucket: "bucket" } as const;
export type ClaimKind = (typeof ClaimKind)[keyof typeof ClaimKind];

/** Value of `app.kubernetes.io/managed-by` on everything pluskube creates. */
export const MANAGED_BY = "pluskube";

/** Labels of the platform's own objects (the zone stack). */
export function platformLabels(): Record<string, string> {
  return { [LabelKey.managedBy]: MANAGED_BY };
}

/** Labels of every object of a project: the namespace, its policies, databases' and buckets' secrets. */
export function projectLabels(project: string): Record<string, string> {
  return { ...platformLabels(), [LabelKey.project]: project };
}

/** Labels of an app's objects; also the selector of its pods, so they must never change for a live app. */
export function appLabels(project: string, app: string): Record<string, string> {
  return { ...projectLabels(project), [LabelKey.app]: app };
}

/** Selector that matches an app's pods (a subset of `appLabels`, stable across releases). */
export function appSelector(project: string, app: string): Record<string, string> {
  return { [LabelKey.project]: project, [LabelKey.app]: app };
}
