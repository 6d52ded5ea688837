import { PassThrough, Transform, type Writable } from "node:stream";
import type { Request, Response } from "express";
import { ClusterRefusedError, type PodLogOptions } from "../cluster/namespace-reader.js";
import { ClusterUnreachableError } from "../cluster/cluster.js";
import type { Principal } from "../domain/authz.js";
import { appObjects, appPod, type AppTarget } from "../domain/app-runtime.js";
import { PodNotReachableError, RuntimeUnreachableError } from "../domain/runtime-errors.js";
import { currentRefusal } from "./auth.js";
import type { RouteContext } from "./context.js";
import { DEFAULT_TAIL_LINES, type LogQuery } from "./runtime-schemas.js";
import type { z } from "zod";

/** Most bytes of log one pod sends to one request that does not follow. */
const POD_LOG_BYTES = 1024 * 1024;
/** Most bytes one followed log sends before it ends (the client may follow again). */
const FOLLOW_BYTES = 64 * 1024 * 1024;
/** Most pods one request reads the log of. */
const MAX_PODS = 20;

/** Prefixes every line with `[pod] `; a line cut between chunks keeps one prefix. */
function prefixed(pod: string): Transform {
  let atLineStart = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const text = chunk.toString("utf8");
      let out = "";
      for (const part of text.split(/(?<=\n)/)) {
        if (atLineStart) out += `[${pod}] `;
        out += part;
        atLineStart = part.endsWith("\n");
      }
      done(null, out);
    },
  });
}

async function openLog(target: AppTarget, pod: string, options: PodLogOptions, out: Writable) {
  try {
    return await target.reader.podLog(pod, options, out);
  } catch (error) {
    if (error instanceof ClusterRefusedError) {
      throw new PodNotReachableError(
        pod,
        options.previous ? "previous log" : "log",
        error.code,
        error.message,
      );
    }
    if (error instanceof ClusterUnreachableError) throw new RuntimeUnreachableError(target.zone.name);
    throw error;
  }
}

/** Collects a stream's text until it ends. */
function collected(stream: PassThrough): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", reject);
  });
}

/**
 * An app's log: one pod's, or every pod's with each line prefixed by the pod. A request that
 * does not follow gets at most `tail` lines (or 200) and 1 MiB per pod. A followed log takes an
 * event-stream place of its token, and ends when the client goes, the token's access ends, or
 * after 64 MiB.
 */
export async function sendAppLog(
  context: RouteContext,
  principal: Principal,
  target: AppTarget,
  query: z.output<typeof LogQuery>,
  req: Request,
  res: Response,
): Promise<void> {
  const objects = await appObjects(target);
  const pods = query.pod
    ? [appPod(objects, query.pod).name]
    : objects.pods.map((pod) => pod.name).slice(0, MAX_PODS);
  const prefix = query.pod === undefined;
  const options: PodLogOptions = {
    tailLines: query.tail ?? (query.since === undefined ? DEFAULT_TAIL_LINES : undefined),
    sinceSeconds: query.since,
    previous: query.previous,
  };
  if (!query.follow) {
    let text = "";
    for (const pod of pods) {
      const stream = new PassThrough();
      const done = collected(stream);
      await openLog(target, pod, { ...options, limitBytes: POD_LOG_BYTES }, stream);
      const log = await done;
      text += prefix ? log.replace(/^(?=.)/gm, `[${pod}] `) : log;
    }
    res.type("text/plain; charset=utf-8").send(text);
    return;
  }

  // Given back when the response closes, whether the log was followed or refused.
  context.streams.take(principal).releaseOnClose(res);
  const stops: (() => void)[] = [];
  const out = new PassThrough();
  let open = pods.length;
  let sent = 0;
  let finished = false;
  const finish = (note?: string) => {
    if (finished) return;
    finished = true;
    stops.forEach((stop) => stop());
    unsubscribe();
    if (note && !res.writableEnded) res.write(`${note}\n`);
    res.end();
  };
  const unsubscribe = context.bus.subscribeAccess(
    { tokenId: principal.tokenId, userId: principal.user.id },
    () => {
      currentRefusal(context.store, principal)
        .then((refusal) => refusal && finish(`-- the log ends: ${refusal}`))
        .catch(() => finish());
    },
  );
  try {
    for (const pod of pods) {
      const sink = prefix ? prefixed(pod) : new PassThrough();
      sink.pipe(out, { end: false });
      sink.on("end", () => {
        open -= 1;
        if (open === 0) finish();
      });
      stops.push(await openLog(target, pod, { ...options, follow: true }, sink));
    }
  } catch (error) {
    finished = true;
    stops.forEach((stop) => stop());
    unsubscribe();
    throw error;
  }
  res.writeHead(200, {
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",
  });
  out.on("data", (chunk: Buffer) => {
    if (finished) return;
    sent += chunk.length;
    // The client's pace sets the cluster's: pause the pods' logs while the response is full.
    if (!res.write(chunk)) {
      out.pause();
      res.once("drain", () => out.resume());
    }
    if (sent >= FOLLOW_BYTES) finish(`-- the log ends after ${FOLLOW_BYTES} bytes; follow again to go on`);
  });
  req.on("close", () => finish());
  if (principal.expiresAt) {
    const expiry = setTimeout(
      () => finish("-- the log ends: the token expired"),
      Math.min(Math.max(0, principal.expiresAt.getTime() - Date.now()), 2 ** 31 - 1),
    );
    stops.push(() => clearTimeout(expiry));
  }
  if (pods.length === 0) finish();
}
