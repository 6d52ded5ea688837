import type { IncomingMessage } from "node:http";
import { PassThrough, Writable, type Duplex } from "node:stream";
import { STATUS_CODES } from "node:http";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { ZoneClusters } from "../cluster/cluster.js";
import { ClusterRefusedError } from "../cluster/namespace-reader.js";
import { appObjects, appPod, appTarget } from "../domain/app-runtime.js";
import { toSpecIssues } from "../../spec/errors.js";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from "../domain/errors.js";
import { PodNotReachableError } from "../domain/runtime-errors.js";
import type { ZoneCatalog } from "../domain/zones.js";
import type { EventBus } from "../jobs/event-bus.js";
import type { Store } from "../store/store.js";
import { authenticatedToken, currentRefusal, principalOfToken } from "./auth.js";
import { PROBLEM_JSON, problemOf } from "./problem.js";
import { PortForwardQuery } from "./runtime-schemas.js";

const PATH = /^\/v1\/projects\/([^/]+)\/apps\/([^/]+)\/port-forward$/;
/** Largest WebSocket message a client may send. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Open tunnels per token. */
const TUNNELS_PER_TOKEN = 5;
/** WebSocket close code for "policy violation": the token's access ended. */
const ACCESS_ENDED = 1008;

export interface PortForwardDeps {
  readonly store: Store;
  readonly zones: ZoneCatalog;
  readonly clusters: ZoneClusters;
  readonly bus: EventBus;
}

/** Answers a refused upgrade with a problem document, as any other route would, and closes. */
function refuse(socket: Duplex, error: DomainError, instance: string): void {
  const body = JSON.stringify(problemOf(error, instance));
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? error.title}`,
    `Content-Type: ${PROBLEM_JSON}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
  ];
  if (error.status === 401) head.push('WWW-Authenticate: Bearer realm="pluskube"');
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * `GET /v1/projects/{project}/apps/{app}/port-forward?port=N[&pod=NAME]` with a WebSocket
 * upgrade: a tunnel to a port of one of the app's own pods through the API server's
 * port-forward, binary messages each way. User and deploy tokens only; the tunnel closes (code
 * 1008) when the token is revoked or expires, or its user is disabled. The cluster's tunnel is
 * opened before the handshake completes, so that a refusal is an HTTP problem, not a socket that
 * closes at once.
 */
export function portForwardUpgrades(deps: PortForwardDeps) {
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const open = new Map<string, number>();

  const handle = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://service");
    const instance = url.pathname;
    const match = PATH.exec(url.pathname);
    if (!match?.[1] || !match[2]) return refuse(socket, new NotFoundError(`${url.pathname}`), instance);
    try {
      const principal = principalOfToken(await authenticatedToken(deps.store, req.headers.authorization));
      const parsed = PortForwardQuery.safeParse(Object.fromEntries(url.searchParams));
      const target = await appTarget(
        deps,
        principal,
        decodeURIComponent(match[1]),
        decodeURIComponent(match[2]),
      );
      if (principal.scope === "read") {
        throw new ForbiddenError(
          "a 'read' token cannot open a port-forward; use a 'deploy' token or a user token",
        );
      }
      if (!parsed.success) throw new ValidationError(toSpecIssues(parsed.error));
      const { port } = parsed.data;
      const objects = await appObjects(target);
      const pod = parsed.data.pod
        ? appPod(objects, parsed.data.pod)
        : objects.pods.find((candidate) => candidate.ready && candidate.phase === "Running");
      if (!pod) {
        throw new ConflictError(`app '${target.app}' has no ready pod to forward to`, {}, "no-ready-pod");
      }
      const mine = open.get(principal.tokenId) ?? 0;
      if (mine >= TUNNELS_PER_TOKEN) {
        throw new DomainError(
          429,
          "rate-limited",
          "Too Many Requests",
          `this token already has ${mine} open port-forwards; at most ${TUNNELS_PER_TOKEN} are allowed per token`,
        );
      }

      let client: WebSocket | undefined;
      let closed = false;
      const input = new PassThrough();
      const output = new Writable({
        write(chunk: Buffer, _encoding, done) {
          if (!client || closed) return done();
          client.send(chunk, () => done());
        },
      });
      const unsubscribers: (() => void)[] = [];
      let closeTunnel = () => {};
      const close = (code = 1000, reason = "") => {
        if (closed) return;
        closed = true;
        unsubscribers.forEach((unsubscribe) => unsubscribe());
        closeTunnel();
        input.end();
        client?.close(code, reason);
        open.set(principal.tokenId, (open.get(principal.tokenId) ?? 1) - 1);
      };
      try {
        closeTunnel = await target.reader.portForward(pod.name, port, {
          input,
          output,
          onClose: () => close(1011, "the pod's side closed"),
        });
      } catch (error) {
        if (error instanceof ClusterRefusedError) {
          throw new PodNotReachableError(pod.name, `port ${port}`, error.code, error.message);
        }
        throw error;
      }
      open.set(principal.tokenId, mine + 1);
      unsubscribers.push(
        deps.bus.subscribeAccess({ tokenId: principal.tokenId, userId: principal.user.id }, () => {
          currentRefusal(deps.store, principal)
            .then((refusal) => refusal && close(ACCESS_ENDED, refusal.slice(0, 120)))
            .catch(() => close(1011));
        }),
      );
      if (principal.expiresAt) {
        const expiry = setTimeout(
          () => close(ACCESS_ENDED, "the token expired"),
          Math.min(Math.max(0, principal.expiresAt.getTime() - Date.now()), 2 ** 31 - 1),
        );
        unsubscribers.push(() => clearTimeout(expiry));
      }
      server.handleUpgrade(req, socket, head, (ws) => {
        client = ws;
        if (closed) return ws.close(1011, "the pod's side closed");
        ws.on("message", (data: RawData) => input.write(bytesOf(data)));
        ws.on("close", () => close());
        ws.on("error", () => close(1011));
      });
    } catch (error) {
      if (error instanceof DomainError) return refuse(socket, error, instance);
      socket.destroy();
    }
  };

  return {
    /** For the HTTP server's `upgrade` event. */
    upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void handle(req, socket, head),
    close: () => server.close(),
  };
}
