import { ServerResponse, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { PassThrough, Writable, type Duplex } from "node:stream";
import { Router, type Express, type Request, type Response } from "express";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { ClusterRefusedError } from "../cluster/namespace-reader.js";
import { appObjects, appPod, appTarget } from "../domain/app-runtime.js";
import { ConflictError, DomainError, ForbiddenError } from "../domain/errors.js";
import { PodNotReachableError } from "../domain/runtime-errors.js";
import { currentRefusal, principalOf } from "./auth.js";
import type { RouteContext } from "./context.js";
import { RateLimitedError } from "./rate-limit.js";
import { PortForwardQuery } from "./runtime-schemas.js";
import { param, queryOf } from "./validate.js";

/** Largest WebSocket message a client may send. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Open tunnels per token. */
const TUNNELS_PER_TOKEN = 5;
/** WebSocket close code for "policy violation": the token's access ended. */
const ACCESS_ENDED = 1008;

/** The connection and first bytes of an upgrade request, while express routes it. */
interface PendingUpgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly response: ServerResponse;
}

const pendingUpgrades = new WeakMap<IncomingMessage, PendingUpgrade>();

class UpgradeRequiredError extends DomainError {
  constructor() {
    super(
      426,
      "upgrade-required",
      "Upgrade Required",
      "this endpoint is a WebSocket: send the request with 'Connection: Upgrade' and 'Upgrade: websocket'",
    );
  }
}

/**
 * Hands the HTTP server's upgrade requests to the express app, so that they go through the same
 * authentication, rate limits, failed-authentication counting and problem answers as every
 * other request. A route that takes the upgrade detaches the connection from the response; any
 * other answer is written as an HTTP response and the connection closes after it.
 */
export function routeUpgrades(server: Server, app: Express): void {
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const response = new ServerResponse(req);
    // Nothing may follow on this connection: the client asked for another protocol.
    response.shouldKeepAlive = false;
    // The server's `upgrade` event hands over the connection's own socket.
    response.assignSocket(socket as Socket);
    response.on("finish", () => {
      response.detachSocket(socket as Socket);
      socket.end();
    });
    pendingUpgrades.set(req, { socket, head, response });
    app(req, response);
  });
}

function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * `GET /projects/{project}/apps/{app}/port-forward?port=N[&pod=NAME]` with a WebSocket upgrade
 * (mounted under `/v1`, after authentication): a tunnel to a port of one of the app's own pods
 * through the API server's port-forward, binary messages each way. User and deploy tokens only;
 * the tunnel closes (code 1008) when the token is revoked or expires, or its user is disabled.
 * The cluster's tunnel is opened before the handshake completes, so that a refusal is an HTTP
 * problem, not a socket that closes at once. Without an upgrade the answer is 426.
 */
export function portForwardRoutes(context: RouteContext): Router {
  const router = Router();
  const server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const open = new Map<string, number>();
  const deps = { store: context.store, zones: context.zones, clusters: context.clusters };

  router.get("/projects/:project/apps/:app/port-forward", async (req: Request, res: Response) => {
    const principal = principalOf(res);
    const target = await appTarget(deps, principal, param(req, "project"), param(req, "app"));
    if (principal.scope === "read") {
      throw new ForbiddenError(
        "a 'read' token cannot open a port-forward; use a 'deploy' token or a user token",
      );
    }
    const { port, pod: podName } = queryOf(req, PortForwardQuery);
    const upgrade = pendingUpgrades.get(req);
    if (!upgrade) {
      res.setHeader("Upgrade", "websocket");
      throw new UpgradeRequiredError();
    }
    const objects = await appObjects(target);
    const pod = podName
      ? appPod(objects, podName)
      : objects.pods.find((candidate) => candidate.ready && candidate.phase === "Running");
    if (!pod) {
      throw new ConflictError(`app '${target.app}' has no ready pod to forward to`, {}, "no-ready-pod");
    }
    const mine = open.get(principal.tokenId) ?? 0;
    if (mine >= TUNNELS_PER_TOKEN) {
      throw new RateLimitedError(
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
      const left = (open.get(principal.tokenId) ?? 1) - 1;
      if (left > 0) open.set(principal.tokenId, left);
      else open.delete(principal.tokenId);
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
      context.bus.subscribeAccess({ tokenId: principal.tokenId, userId: principal.user.id }, () => {
        currentRefusal(context.store, principal)
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
    // From here the connection speaks WebSocket; the HTTP response must not write to it.
    upgrade.response.detachSocket(upgrade.socket as Socket);
    // A handshake the WebSocket server refuses closes the connection without a client.
    upgrade.socket.once("close", () => close());
    server.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => {
      client = ws;
      if (closed) return ws.close(1011, "the pod's side closed");
      ws.on("message", (data: RawData) => input.write(bytesOf(data)));
      ws.on("close", () => close());
      ws.on("error", () => close(1011));
    });
  });

  return router;
}
