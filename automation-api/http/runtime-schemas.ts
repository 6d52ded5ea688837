import { z } from "zod";

/** Most log lines one request returns per pod. */
export const MAX_TAIL_LINES = 5000;
/** Lines returned per pod when a request asks for neither `tail` nor `since`. */
export const DEFAULT_TAIL_LINES = 200;
/** Furthest back `since` reaches: a week. */
export const MAX_SINCE_SECONDS = 7 * 86_400;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

const flag = z
  .enum(["true", "false"], { error: "must be true or false" })
  .optional()
  .transform((value) => value === "true");

/** A pod's name as Kubernetes allows it (a DNS subdomain). */
const podName = z
  .string()
  .max(253, "must be at most 253 characters")
  .regex(
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    "must be the name of one of the app's pods, as the status lists them",
  )
  .optional();

/** `?tail=&since=&pod=&previous=&follow=` of an app's log. */
export const LogQuery = z.strictObject({
  tail: z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number of lines from 1 to ${MAX_TAIL_LINES}`)
    .transform(Number)
    .refine(
      (n) => n >= 1 && n <= MAX_TAIL_LINES,
      `must be a whole number of lines from 1 to ${MAX_TAIL_LINES}`,
    )
    .optional()
    .describe(
      `The last N lines of each pod, 1 to ${MAX_TAIL_LINES}. Default ${DEFAULT_TAIL_LINES} when since is absent`,
    ),
  since: z
    .string()
    .regex(/^\d{1,7}[smhd]$/, "must be a duration such as 30s, 10m, 2h or 1d")
    .transform((text) => Number(text.slice(0, -1)) * (UNIT_SECONDS[text.slice(-1)] ?? 1))
    .refine((s) => s >= 1 && s <= MAX_SINCE_SECONDS, "must be from 1s to 7d")
    .optional()
    .describe("Lines written in this last duration: 30s, 10m, 2h, 1d (at most 7d)"),
  pod: podName.describe("One pod of the app; all of them when absent, each line prefixed with `[pod] `"),
  previous: flag.describe("The container's previous run, the one before its last restart (after a crash)"),
  follow: flag.describe("Keep the response open and send new lines as they come (text/plain, chunked)"),
});

/** `?port=&pod=` of a port-forward. */
export const PortForwardQuery = z.strictObject({
  port: z
    .string()
    .regex(/^\d{1,5}$/, "must be a TCP port from 1 to 65535")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 65_535, "must be a TCP port from 1 to 65535")
    .describe("The port of the pod to reach"),
  pod: podName.describe("One pod of the app; a ready one is picked when absent"),
});

// Responses (documentation only)

const Explained = {
  reason: z.string(),
  message: z.string().optional(),
  explanation: z.string().optional().describe("What the reason means for the app, in plain words"),
};

export const AppStatus = z.object({
  project: z.string(),
  app: z.string(),
  zone: z.string(),
  replicas: z.object({
    desired: z.number().int(),
    ready: z.number().int(),
    available: z.number().int(),
    updated: z.number().int(),
  }),
  pods: z.array(
    z.object({
      name: z.string(),
      phase: z.string().describe("Pending, Running, Succeeded, Failed or Unknown"),
      ready: z.boolean(),
      restarts: z.number().int(),
      waiting: z.object(Explained).optional(),
      lastTermination: z
        .object({
          reason: z.string().optional().describe("OOMKilled, Error, Completed"),
          exitCode: z.number().int(),
          finishedAt: z.string().optional(),
          explanation: z.string().optional(),
        })
        .optional(),
    }),
  ),
  problems: z
    .array(z.object({ ...Explained, object: z.string() }))
    .describe("What keeps the app from running as asked, with its cause in plain words"),
  events: z.array(
    z.object({
      type: z.string(),
      ...Explained,
      object: z.object({ kind: z.string(), name: z.string() }),
      count: z.number().int(),
      lastSeen: z.string().optional(),
    }),
  ),
});

const Usage = z.object({
  cpuMillis: z.number().int(),
  memoryBytes: z.number().int(),
  requests: z.object({ cpuMillis: z.number().int().optional(), memoryBytes: z.number().int().optional() }),
  limits: z.object({ cpuMillis: z.number().int().optional(), memoryBytes: z.number().int().optional() }),
});

export const AppMetrics = z.object({
  app: z.string(),
  total: Usage,
  pods: z.array(Usage.extend({ pod: z.string() })),
});

export const AppMetricsHistory = z.object({
  app: z.string(),
  intervalSeconds: z.number().int().describe("Seconds between samples"),
  windowSeconds: z.number().int().describe("How far back samples are kept"),
  samples: z
    .array(
      z.object({
        at: z.string().describe("Start of the sample's slot"),
        cpuMillis: z.number().int(),
        memoryBytes: z.number().int(),
        pods: z.number().int().describe("Pods the metrics API reported"),
      }),
    )
    .describe(
      "Oldest first; none while the app runs no pod, before the first sample, or where the zone serves no metrics API",
    ),
});

const Figure = z
  .object({ used: z.number().nullable(), limit: z.number().nullable(), note: z.string().optional() })
  .describe("A figure of use against its limit; used is null (with a note) where the zone cannot tell");

const DatabaseWritesStatus = z
  .object({
    state: z.enum(["accepted", "refused"]),
    since: z.string().nullable().describe("When writes were refused; null while they are accepted"),
    checkedAt: z.string().nullable().describe("The service's last measurement; null before the first"),
    sizeBytes: z.number().nullable().describe("Size at the last measurement"),
    limitBytes: z.number().nullable().describe("Limit at the last measurement"),
    reason: z.string().nullable().describe("While refused: the message a refused write gets"),
    error: z.string().nullable().describe("Why the last refusal or restoration failed; it is retried"),
  })
  .describe(
    "Over its limit a database refuses INSERT, UPDATE and DDL but DROP (SQLSTATE 53100); reads, " +
      "DELETE, TRUNCATE, DROP and VACUUM still work. Writes are accepted again once it is back under the limit",
  );

const DatabaseLimitEvent = z.object({
  at: z.string(),
  type: z.enum(["writes-refused", "writes-restored", "enforcement-failed"]),
  message: z.string(),
  sizeBytes: z.number(),
  limitBytes: z.number(),
});

export const DatabaseStatus = z.object({
  database: z.string(),
  sizeBytes: Figure,
  connections: Figure,
  writes: DatabaseWritesStatus,
  events: z.array(DatabaseLimitEvent).describe("Changes of the database's writes, the newest first"),
});

export const BucketStatus = z.object({
  bucket: z.string(),
  bytes: Figure,
  writes: z
    .object({
      state: z.enum(["accepted", "refused", "unknown"]),
      countedBytes: z.number().nullable(),
      limitBytes: z.number(),
      reason: z.string().nullable(),
      note: z.string().optional(),
    })
    .describe(
      "Whether the zone refuses writes to the bucket for being over its quota (reads, listings and deletes always work): the bytes it counts against the quota, and why writes are refused and how to be let back in; state is unknown (with a note) where the zone cannot tell",
    ),
});
