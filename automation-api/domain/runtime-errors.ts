import { DomainError } from "./errors.js";

/** The cluster could not be read for a runtime view; nothing about the app is known. */
export class RuntimeUnreachableError extends DomainError {
  constructor(zone: string) {
    super(
      503,
      "zone-unreachable",
      "Service Unavailable",
      `the cluster of zone '${zone}' could not be reached; try again later`,
      { zone },
    );
  }
}

/** The zone cannot give this view at all, such as metrics where it runs no metrics server. */
export class NotAvailableInZoneError extends DomainError {
  constructor(zone: string, what: string) {
    super(501, "not-available-in-zone", "Not Implemented", `${what} is not available in zone '${zone}'`, {
      zone,
    });
  }
}

/**
 * The cluster refused to reach the pod (for its log or a port-forward): the container has not
 * started or has no previous run (400: the cluster's words say which, naming only the pod), or
 * its node's kubelet did not serve it (any other status: unreachable, or a node that runs no
 * kubelet API, as simulated nodes do; the cluster's words may name the node's address, which
 * stays out).
 */
export class PodNotReachableError extends DomainError {
  constructor(pod: string, what: string, clusterStatus: number, reason: string) {
    const waiting = clusterStatus === 400;
    super(
      waiting ? 409 : 502,
      waiting ? "pod-not-ready" : "pod-unreachable",
      waiting ? "Conflict" : "Bad Gateway",
      waiting
        ? `the ${what} of pod '${pod}' is not there (yet): ${reason}`
        : `the cluster could not reach pod '${pod}' for its ${what}: the kubelet of its node did not serve it (the cluster answered ${clusterStatus})`,
      { pod },
    );
  }
}
