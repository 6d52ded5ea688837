import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { ConcurrentUpdateError, StackNotFoundError } from "@pulumi/pulumi/automation/index.js";
import { DomainError } from "../domain/errors.js";
import type { Logger } from "../observability/log.js";

export const PROBLEM_JSON = "application/problem+json";

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

export function problemType(slug: string): string {
  return `urn:pluskube:problem:${slug}`;
}

/** Sends the problem with the request's id (`requestId`), which the service's log lines carry too. */
export function sendProblem(res: Response, problem: ProblemBody): void {
  const requestId: unknown = res.locals["requestId"];
  const body = typeof requestId === "string" ? { ...problem, requestId } : problem;
  res.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(body));
}

/** `application/problem+json` (RFC 9457) for a domain error. */
export function problemOf(error: DomainError, instance?: string): ProblemBody {
  return {
    type: problemType(error.problem),
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    ...error.extensions,
  };
}

/** Errors thrown by body-parser carry a status and a type such as `entity.too.large`. */
interface HttpParserError {
  readonly status?: number;
  readonly type?: string;
  readonly limit?: number;
}

function parserError(error: unknown): HttpParserError | undefined {
  if (typeof error === "object" && error !== null && "type" in error && "status" in error) {
    return error as HttpParserError;
  }
  return undefined;
}

/**
 * The one error middleware: domain errors, validation, Automation API errors and body-parser
 * errors become problem documents; anything else is a 500 without internals.
 */
export function problemMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const instance = req.originalUrl;
    if (error instanceof DomainError) {
      if (error.status >= 500)
        logger.error({ method: req.method, path: req.path, err: error }, "request failed");
      if (error.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="pluskube"');
      sendProblem(res, problemOf(error, instance));
      return;
    }
    if (error instanceof ConcurrentUpdateError) {
      sendProblem(res, {
        type: problemType("stack-busy"),
        title: "Conflict",
        status: 409,
        detail: "another update of this stack is in progress; try again when it has finished",
        instance,
      });
      return;
    }
    if (error instanceof StackNotFoundError) {
      sendProblem(res, {
        type: problemType("not-found"),
        title: "Not Found",
        status: 404,
        detail: "the stack does not exist",
        instance,
      });
      return;
    }
    const parser = parserError(error);
    if (parser?.type === "entity.too.large") {
      sendProblem(res, {
        type: problemType("body-too-large"),
        title: "Content Too Large",
        status: 413,
        detail: `the request body is larger than the limit of ${parser.limit ?? "?"} bytes`,
        instance,
      });
      return;
    }
    if (parser?.type === "entity.parse.failed") {
      sendProblem(res, {
        type: problemType("validation"),
        title: "Bad Request",
        status: 400,
        detail: "the request body is not valid JSON",
        instance,
        errors: [{ path: "", message: "not valid JSON" }],
      });
      return;
    }
    if (parser && parser.status && parser.status >= 400 && parser.status < 500) {
      sendProblem(res, {
        type: problemType("bad-request"),
        title: "Bad Request",
        status: parser.status,
        detail: "the request body could not be read",
        instance,
      });
      return;
    }
    logger.error(
      { method: req.method, path: req.path, err: error instanceof Error ? error : new Error(String(error)) },
      "request failed",
    );
    sendProblem(res, {
      type: problemType("internal"),
      title: "Internal Server Error",
      status: 500,
      detail: "the service failed to handle the request; it has been logged",
      instance,
    });
  };
}

export const notFoundRoute: RequestHandler = (req, res) => {
  sendProblem(res, {
    type: problemType("not-found"),
    title: "Not Found",
    status: 404,
    detail: `no such route: ${req.method} ${req.path}`,
    instance: req.originalUrl,
  });
};
