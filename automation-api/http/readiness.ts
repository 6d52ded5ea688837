import type { RequestHandler } from "express";
import type { Logger } from "../observability/log.js";
import { problemType, sendProblem } from "./problem.js";

/** One thing the service needs to take requests; throws, saying what is wrong, when it cannot. */
export interface ReadinessCheck {
  /** Short name in the answer: `database`, `queue`, `shutdown`. */
  readonly name: string;
  check(): Promise<void>;
}

/** A check slower than this counts as failed: a load balancer should not wait on a stuck database. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * `/readyz`: 200 when every check passes, otherwise 503 with a problem document naming each
 * failed check and why. `/healthz` stays a liveness check (the process answers), so that an
 * orchestrator restarts the service only when it is stuck, not when its database is away.
 */
export function readinessRoute(checks: readonly ReadinessCheck[], logger: Logger): RequestHandler {
  return async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return { name, ok: true as const };
        } catch (error) {
          return {
            name,
            ok: false as const,
            problem: error instanceof Error ? error.message : String(error),
          };
        }
      }),
    );
    const failed = results.filter((result) => !result.ok);
    if (failed.length === 0) {
      res.json({ status: "ready", checks: Object.fromEntries(results.map(({ name }) => [name, "ok"])) });
      return;
    }
    const detail = failed.map((result) => `${result.name}: ${result.problem}`).join("; ");
    logger.warn({ checks: failed }, "not ready");
    sendProblem(res, {
      type: problemType("not-ready"),
      title: "Service Unavailable",
      status: 503,
      detail,
      checks: Object.fromEntries(results.map((result) => [result.name, result.ok ? "ok" : result.problem])),
    });
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
