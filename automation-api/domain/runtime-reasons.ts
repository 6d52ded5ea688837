/**
 * What the cluster's reasons mean for a member, in one table (as the engine's errors are in
 * `jobs/member-failure.ts`): container waiting reasons, termination reasons and event reasons,
 * each with the plain-language cause and what to do about it.
 */
const BY_REASON: Readonly<Record<string, string>> = {
  ImagePullBackOff:
    "the image could not be pulled: check the image reference, and for a private registry its credentials",
  ErrImagePull:
    "the image could not be pulled: check the image reference, and for a private registry its credentials",
  InvalidImageName: "the image reference is not a valid one",
  CrashLoopBackOff:
    "the app exits soon after it starts and is being restarted; its previous log (previous=true) says why",
  BackOff:
    "the app exits soon after it starts and is being restarted; its previous log (previous=true) says why",
  OOMKilled: "the app used more memory than its limit and was stopped: give it more memory or use less",
  Error: "the app exited with an error",
  CreateContainerConfigError:
    "the container refers to a secret or setting that does not exist (yet) in the project",
  FailedScheduling:
    "no node of the zone has room for the pod now (CPU, memory or volumes); it waits until there is",
  Unhealthy: "a probe of the app failed: it did not answer on its port or health path in time",
  FailedMount: "a volume of the pod could not be mounted",
};

/** Refusals of a ReplicaSet's `FailedCreate`, by what the cluster's message says. */
const FAILED_CREATE: readonly { readonly pattern: RegExp; readonly meaning: string }[] = [
  {
    pattern: /exceeded quota/i,
    meaning:
      "the project's quota in the zone has no room for another pod: scale down or shrink another app, or ask for a larger share",
  },
  {
    pattern: /violates PodSecurity/i,
    meaning:
      "the pod breaks the zone's Pod Security rules (restricted): it must run as non-root without privileges",
  },
  {
    pattern: /LimitRange|must be less than or equal to/i,
    meaning: "the pod asks for more than the project's limits allow for one container",
  },
];

/** The plain-language cause of a reason the cluster gave, or `undefined` when there is none to add. */
export function explainReason(reason: string | undefined, message = ""): string | undefined {
  if (!reason) return undefined;
  if (reason === "FailedCreate" || reason === "ReplicaFailure") {
    const match = FAILED_CREATE.find(({ pattern }) => pattern.test(message));
    return match?.meaning ?? "the cluster refused to create a pod of the app";
  }
  return BY_REASON[reason];
}

/** The cause of a container's end by its exit code when the kubelet gave no reason. */
export function explainExit(reason: string | undefined, exitCode: number): string | undefined {
  if (reason === "OOMKilled" || exitCode === 137) return BY_REASON["OOMKilled"];
  if (reason === "Completed" || exitCode === 0)
    return "the app ended on its own (exit code 0); apps are expected to keep running";
  return explainReason(reason) ?? `the app exited with code ${exitCode}`;
}
