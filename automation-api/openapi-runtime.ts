import type { RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import {
  AppMetrics,
  AppMetricsHistory,
  AppStatus,
  BucketStatus,
  DatabaseStatus,
  LogQuery,
  PortForwardQuery,
} from "./http/runtime-schemas.js";

/** What `openApiDocument` lends the runtime paths: its route, response and parameter builders. */
export interface PathTools {
  readonly route: (config: RouteConfig) => void;
  readonly json: (schema: z.ZodType, description: string) => RouteConfig["responses"][string];
  readonly problems: (...statuses: number[]) => RouteConfig["responses"];
  readonly params: (...names: string[]) => z.ZodObject;
}

/** The paths of apps, databases and buckets as they run: status, logs, metrics, port-forward. */
export function registerRuntimePaths({ route, json, problems, params }: PathTools): void {
  const app = params("project", "app");
  route({
    method: "get",
    path: "/v1/projects/{project}/apps/{app}/status",
    tags: ["runtime"],
    summary:
      "An app as it runs: desired, ready, available and updated replicas; each pod's phase, readiness, restarts and last termination; problems and recent events, with their causes in plain words",
    request: { params: app },
    responses: { "200": json(AppStatus, "The app's status"), ...problems(404, 503) },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/apps/{app}/logs",
    tags: ["runtime"],
    summary:
      "An app's log: one pod's, or every pod's with each line prefixed `[pod] `; at most 1 MiB per pod, or followed as a chunked text stream",
    description:
      "A followed log takes one of the token's open-stream places (429 beyond) and ends when the client goes away, the token is revoked or expires, or after 64 MiB, with a last line saying why. " +
      "409 `pod-not-ready`: the container has not started, or has no previous run. 502 `pod-unreachable`: the cluster could not reach the pod through its node's kubelet.",
    request: { params: app, query: LogQuery },
    responses: {
      "200": { description: "Log lines", content: { "text/plain": { schema: z.string() } } },
      ...problems(400, 404, 409, 502, 503),
    },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/apps/{app}/metrics",
    tags: ["runtime"],
    summary: "CPU and memory in use per pod and for the app, beside requests and limits (metrics.k8s.io)",
    request: { params: app },
    responses: {
      "200": json(AppMetrics, "The app's use"),
      ...problems(404, 501, 503),
    },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/apps/{app}/metrics/history",
    tags: ["runtime"],
    summary:
      "The app's CPU and memory over the last hour, summed over its pods, as the service sampled them once per interval",
    request: { params: app },
    responses: { "200": json(AppMetricsHistory, "The app's last hour"), ...problems(404, 503) },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/apps/{app}/port-forward",
    tags: ["runtime"],
    summary:
      "WebSocket (Upgrade: websocket): a TCP tunnel to a port of one of the app's pods, binary messages each way; user and deploy tokens only",
    description:
      "The tunnel closes with code 1008 when the token is revoked or expires, or its user is disabled, and with 1011 when the pod's side closes. " +
      "At most 5 open tunnels per token (429). The upgrade request counts against the token's request limit and its address's failed authentications like any request, refusals answered as problem documents. " +
      "409 `no-ready-pod` when no pod is named and none is ready; 426 `upgrade-required` without a WebSocket upgrade; 502 `pod-unreachable` when the cluster refuses the tunnel.",
    request: { params: app, query: PortForwardQuery },
    responses: {
      "101": { description: "Switching Protocols: the tunnel is open" },
      ...problems(400, 403, 404, 409, 426, 502, 503),
    },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/databases/{database}/status",
    tags: ["runtime"],
    summary: "A database's size and connections against its limits, from the zone's PostgreSQL",
    request: { params: params("project", "database") },
    responses: { "200": json(DatabaseStatus, "The database's use"), ...problems(404, 503) },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/buckets/{bucket}/status",
    tags: ["runtime"],
    summary:
      "A bucket's stored bytes against its quota, summed from a listing (`used` is null with a note past 100,000 objects or when the storage does not answer), and whether its writes are refused for being over the quota",
    request: { params: params("project", "bucket") },
    responses: { "200": json(BucketStatus, "The bucket's use"), ...problems(404) },
  });
}
