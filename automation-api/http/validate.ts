import type { Request } from "express";
import type { z } from "zod";
import { dnsLabel } from "../../spec/fields.js";
import { toSpecIssues } from "../../spec/errors.js";
import { ValidationError } from "../domain/errors.js";
import { requestErrorOf } from "../domain/spec.js";

/** The request body parsed with a schema; unknown fields and wrong types are refused naming the field. */
export function bodyOf<T extends z.ZodType>(req: Request, schema: T): z.output<T> {
  if (
    req.body === undefined ||
    req.body === null ||
    typeof req.body !== "object" ||
    Array.isArray(req.body)
  ) {
    throw new ValidationError([
      { path: "", message: "a JSON object body is required (Content-Type: application/json)" },
    ]);
  }
  const result = schema.safeParse(req.body);
  if (!result.success) throw requestErrorOf(result.error);
  return result.data;
}

export function queryOf<T extends z.ZodType>(req: Request, schema: T): z.output<T> {
  const result = schema.safeParse({ ...req.query });
  if (!result.success) throw new ValidationError(toSpecIssues(result.error));
  return result.data;
}

const label = dnsLabel(40);

/** A name from the path, checked before it is stored (reads simply find nothing for a bad name). */
export function nameParam(req: Request, key: string): string {
  const value = req.params[key];
  const result = label.safeParse(value);
  if (!result.success) {
    throw new ValidationError(toSpecIssues(result.error).map((issue) => ({ ...issue, path: key })));
  }
  return result.data;
}

export function param(req: Request, key: string): string {
  return String(req.params[key] ?? "");
}
