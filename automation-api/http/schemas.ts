import { z } from "zod";
import { CLAIM_KIND_NAMES, CLAIM_KINDS, type ClaimKindName } from "../../spec/claim-kinds.js";
import { dnsLabel } from "../../spec/fields.js";
import { SHARE_KINDS } from "../../spec/usage.js";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../domain/tokens.js";
import { ReconcileState } from "./reconcile-schemas.js";

/**
 * Request and response schemas of the REST API. Request bodies validate at the edge and feed
 * the OpenAPI document; response schemas only document.
 */

export const ProjectName = dnsLabel(40);
export const UserName = dnsLabel(40);
export const ItemName = dnsLabel(40);

/** `PUT /v1/projects/{project}`: the zone (fixed once created) and project settings. */
export const ProjectBody = z.strictObject({
  zone: dnsLabel(30),
  /** Whether apps may open connections to the internet. Default true. */
  internetEgress: z.boolean().optional(),
});

type ItemBody<K extends ClaimKindName> = z.ZodObject<
  Omit<(typeof CLAIM_KINDS)[K]["schema"]["shape"], "name"> & { name: z.ZodOptional<z.ZodString> }
>;

/** Item bodies are the ProjectSpec's own item schemas; `name` may be left out (it is in the URL). */
export const ItemBodies = Object.fromEntries(
  CLAIM_KIND_NAMES.map((kind) => {
    const schema = CLAIM_KINDS[kind].schema;
    return [kind, schema.extend({ name: schema.shape.name.optional() })];
  }),
) as { [K in ClaimKindName]: ItemBody<K> };

/** A JSON merge patch (RFC 7386) of an item: fields to change, `null` to reset one to its default. */
export const MergePatch = z.record(z.string(), z.unknown());

export const UserBody = z.strictObject({
  name: UserName,
  /** Weight in every zone's fair share. Default 1. */
  weight: z.number().positive("must be more than 0").max(1000, "must be at most 1000").optional(),
  /** Whether the user administers the service. Default false. */
  admin: z.boolean().optional(),
});

export const UserPatch = z
  .strictObject({
    weight: z.number().positive("must be more than 0").max(1000, "must be at most 1000").optional(),
    /** `true` stops every token of the user at once (their projects stay); `false` enables them again. */
    disabled: z.boolean().optional(),
  })
  .refine((patch) => patch.weight !== undefined || patch.disabled !== undefined, {
    message: "give weight, disabled or both",
  });

export const TokenBody = z.strictObject({
  /** What the token is for, to recognise it in lists. */
  name: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  /**
   * Seconds until the token stops working. Default: never for user tokens; for project tokens
   * the service's maximum when one is configured (which also bounds this).
   */
  expiresIn: z
    .number()
    .int("must be a whole number of seconds")
    .positive("must be more than 0")
    .max(MAX_TOKEN_LIFETIME_SECONDS, `must be at most ${MAX_TOKEN_LIFETIME_SECONDS} seconds`)
    .optional(),
});

export const ProjectTokenBody = TokenBody.extend({
  /** `read`: GET only; `deploy`: may change the project's apps, databases, buckets and volumes. */
  scope: z.enum(["read", "deploy"]),
});

export const QuotaQuery = z.strictObject({ zone: dnsLabel(30) });

// Responses (documentation only)

const Timestamp = z.string().describe("ISO 8601 date and time");

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z
      .string()
      .optional()
      .describe("The request's id, as in the X-Request-Id response header and the service's log"),
    errors: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          limit: z
            .string()
            .optional()
            .describe("With 422: the limit passed, such as limits.smallestDatabaseGB"),
          allowed: z.union([z.number(), z.string()]).optional().describe("With 422: what the limit allows"),
        }),
      )
      .optional(),
  })
  .catchall(z.unknown());

export const OperationStatus = z.enum(["queued", "running", "succeeded", "failed"]);

export const OperationEvent = z.object({
  id: z.string(),
  at: Timestamp,
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const Operation = z.object({
  id: z.string(),
  status: OperationStatus,
  kind: z.enum(["update", "destroy"]),
  request: z.string(),
  project: z.string(),
  zone: z.string(),
  revision: z.number().int(),
  message: z
    .string()
    .nullable()
    .describe(
      "Why the operation failed: what failed, the reason where it lies in the spec (a policy's or the cluster's refusal), and a reference an operator finds the engine's full text under in the service's log. The zone's hosts, files and accounts are never in it.",
    ),
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  links: z.object({ self: z.string(), events: z.string(), project: z.string() }),
  events: z.array(OperationEvent).optional(),
  eventsNext: z
    .string()
    .nullable()
    .optional()
    .describe("With `events`: the path of the next page of events; null on the last page"),
});

const Amounts = z.object(Object.fromEntries(SHARE_KINDS.map((kind) => [kind, z.number()])));

export const Project = z.object({
  name: z.string(),
  zone: z.string(),
  status: z.enum(["active", "deleting"]),
  revision: z.number().int(),
  appliedRevision: z.number().int(),
  internetEgress: z.boolean(),
  verifiedDomains: z.array(z.string()),
  counts: z.object(Object.fromEntries(CLAIM_KIND_NAMES.map((kind) => [kind, z.number()]))),
  usage: Amounts,
  outputs: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
  links: z.record(z.string(), z.string()),
  reconcile: ReconcileState,
});

export const User = z.object({
  name: z.string(),
  admin: z.boolean(),
  weight: z.number(),
  disabled: z.boolean(),
  createdAt: Timestamp,
});

export const Token = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scope: z.enum(["user", "read", "deploy"]),
  project: z.string().optional(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
});

export const NewToken = Token.extend({
  token: z.string().describe("the bearer token; shown only in this answer"),
});

export const Quota = z.object({
  zone: z.string(),
  weight: z.number(),
  activeUsers: z.number().int(),
  totalWeight: z.number(),
  allocatable: Amounts,
  share: Amounts,
  used: Amounts,
  free: Amounts.describe("What the share leaves: share less used"),
  zoneFree: Amounts.describe(
    "What the zone has free now, whoever holds the rest; it grows as members above their shares shrink",
  ),
  available: Amounts.describe("What the next request may take: the smaller of free and zoneFree"),
});

export const Zone = z.object({
  name: z.string(),
  baseDomain: z.string(),
  chunk: z.object({ cpu: z.string(), memory: z.string(), disk: z.string() }),
  capacity: z.record(z.string(), z.union([z.string(), z.number()])),
  allocatable: Amounts,
  knative: z.boolean(),
  limits: z
    .object({
      projectsPerMember: z.number().int(),
      itemsPerProject: z.number().int(),
      smallestDatabaseGB: z.number(),
      smallestBucketGB: z.number(),
      smallestVolume: z.string(),
      connectionsPerDatabase: z.number().int(),
    })
    .describe("What one member may make in the zone beside the fair share"),
});

export const Me = z.object({
  user: User,
  token: Token,
});
