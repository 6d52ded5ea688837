import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { withContext, type CommandContext } from "../context.js";
import { CliError } from "../exit-codes.js";
import { integerIn } from "../input/flags.js";
import { printTable } from "../output.js";
import { sparkline } from "../sparkline.js";
import { segment } from "./options.js";

/** `GET …/apps/{app}/status`, as far as the text view reads it (AppStatus in runtime-schemas.ts). */
interface AppStatus {
  readonly app: string;
  readonly replicas: { desired: number; ready: number; available: number; updated: number };
  readonly pods: readonly {
    name: string;
    phase: string;
    ready: boolean;
    restarts: number;
    waiting?: { reason: string; explanation?: string };
    lastTermination?: { reason?: string; exitCode: number };
  }[];
  readonly problems: readonly { reason: string; object: string; explanation?: string; message?: string }[];
  readonly events: readonly {
    type: string;
    reason: string;
    message?: string;
    object: { kind: string; name: string };
    count: number;
  }[];
}

interface Usage {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly requests: { cpuMillis?: number; memoryBytes?: number };
  readonly limits: { cpuMillis?: number; memoryBytes?: number };
}

interface AppMetrics {
  readonly app: string;
  readonly total: Usage;
  readonly pods: readonly (Usage & { pod: string })[];
}

/** `GET …/apps/{app}/metrics/history`: the app's last hour as the service sampled it. */
interface AppMetricsHistory {
  readonly intervalSeconds: number;
  readonly windowSeconds: number;
  readonly samples: readonly { at: string; cpuMillis: number; memoryBytes: number; pods: number }[];
}

const mib = (bytes: number | undefined) => (bytes === undefined ? "-" : `${Math.round(bytes / 2 ** 20)}Mi`);
const millis = (value: number | undefined) => (value === undefined ? "-" : `${value}m`);

/**
 * Runs `read` for each of several ids, printing what it answers: for JSON one document per id
 * when one is asked, an array of them when several are. An id that fails is reported and the
 * rest still read; the command then fails as the first failure did.
 */
async function eachOf<T>(
  context: CommandContext,
  ids: readonly string[],
  read: (id: string) => Promise<T>,
  text: (value: T) => void,
): Promise<void> {
  const answers: T[] = [];
  let failed: CliError | undefined;
  for (const id of ids) {
    try {
      const value = await read(id);
      answers.push(value);
      if (context.out.format === "text") text(value);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      context.out.note(`error: ${error.message}`);
      failed ??= error;
    }
  }
  if (context.out.format !== "text")
    context.print(ids.length === 1 ? (answers[0] ?? null) : answers, () => {});
  if (failed) throw failed;
}

/** One of an app's runtime views (`/v1/projects/{p}/apps/{app}/{view}`). */
function appView<T>(
  context: CommandContext,
  app: string,
  view: "status" | "metrics" | "metrics/history",
): Promise<T> {
  return context.client.get<T>(`/v1/projects/${segment(context.project)}/apps/${segment(app)}/${view}`);
}

/** `status`, `metrics` and `logs`: apps as they run. */
export function registerRuntimeCommands(program: Command): void {
  program
    .command("status")
    .description("Apps as they run: replicas, pods, restarts, problems with their causes, recent events")
    .argument("<app...>", "the apps (cc's container ids)")
    .action(
      withContext<object, [string[]]>(async (context, _opts, apps) =>
        eachOf(
          context,
          apps,
          (app) => appView<AppStatus>(context, app, "status"),
          (status) => printStatus(context, status),
        ),
      ),
    );

  program
    .command("metrics")
    .description("CPU and memory apps use, per pod and in all, beside their requests and limits")
    .argument("<app...>", "the apps")
    .option("--hour", "also the app's last hour, as the service sampled it")
    .action(
      withContext<{ hour?: boolean }, [string[]]>(async (context, opts, apps) =>
        eachOf(
          context,
          apps,
          async (app) => {
            const metrics = await appView<AppMetrics>(context, app, "metrics");
            if (!opts.hour) return metrics;
            return { ...metrics, history: await appView<AppMetricsHistory>(context, app, "metrics/history") };
          },
          (metrics) => {
            printTable(
              context.out,
              ["POD", "CPU", "CPU LIMIT", "MEMORY", "MEMORY LIMIT"],
              [
                ...metrics.pods.map((pod) => [
                  pod.pod,
                  millis(pod.cpuMillis),
                  millis(pod.limits.cpuMillis),
                  mib(pod.memoryBytes),
                  mib(pod.limits.memoryBytes),
                ]),
                [
                  `(${metrics.app}, all pods)`,
                  millis(metrics.total.cpuMillis),
                  millis(metrics.total.limits.cpuMillis),
                  mib(metrics.total.memoryBytes),
                  mib(metrics.total.limits.memoryBytes),
                ],
              ],
            );
            if ("history" in metrics) printHour(context, metrics.history);
          },
        ),
      ),
    );

  program
    .command("logs")
    .description("An app's log: every pod's (each line prefixed [pod]) or one pod's; -f keeps following it")
    .argument("<app>", "the app")
    .option("-f, --follow", "keep printing new lines until interrupted")
    .option("--tail <lines>", "the last lines of each pod, 1 to 5000 (default 200)", integerIn(1, 5000))
    .option("--since <duration>", "lines of this last duration: 30s, 10m, 2h, 1d (at most 7d)", parseDuration)
    .option("--pod <pod>", "one pod of the app, as status lists them")
    .option("--previous", "the run before the container's last restart")
    .action(
      withContext<
        { follow?: boolean; tail?: number; since?: string; pod?: string; previous?: boolean },
        [string]
      >(async (context, opts, app) => {
        const interrupt = new AbortController();
        process.once("SIGINT", () => interrupt.abort());
        const response = await context.client.send(
          "GET",
          `/v1/projects/${segment(context.project)}/apps/${segment(app)}/logs`,
          {
            accept: "text/plain",
            signal: interrupt.signal,
            query: {
              tail: opts.tail,
              since: opts.since,
              pod: opts.pod,
              previous: opts.previous ? "true" : undefined,
              follow: opts.follow ? "true" : undefined,
            },
          },
        );
        if (!response.body) return;
        try {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
            process.stdout.write(chunk);
          }
        } catch (error) {
          // Interrupting a followed log is how it ends.
          if (!interrupt.signal.aborted) throw error;
        }
      }),
    );
}

function parseDuration(value: string): string {
  if (!/^\d{1,7}[smhd]$/.test(value))
    throw new InvalidArgumentError("must be a duration such as 30s, 10m, 2h or 1d.");
  return value;
}

function printStatus(context: CommandContext, status: AppStatus): void {
  const { out } = context;
  const r = status.replicas;
  out.line(`${status.app}: ${r.ready}/${r.desired} ready, ${r.available} available, ${r.updated} updated`);
  if (status.pods.length > 0) {
    printTable(
      out,
      ["POD", "PHASE", "READY", "RESTARTS", "WAITING", "LAST EXIT"],
      status.pods.map((pod) => [
        pod.name,
        pod.phase,
        pod.ready ? "yes" : "no",
        String(pod.restarts),
        pod.waiting?.reason ?? "",
        pod.lastTermination
          ? `${pod.lastTermination.reason ?? "exited"} (${pod.lastTermination.exitCode})`
          : "",
      ]),
    );
  }
  for (const problem of status.problems) {
    out.line(
      `problem: ${problem.object}: ${problem.reason}: ${problem.explanation ?? problem.message ?? ""}`,
    );
  }
  for (const event of status.events.slice(-10)) {
    out.line(
      `event: ${event.type} ${event.object.kind}/${event.object.name} ${event.reason}: ${event.message ?? ""}${event.count > 1 ? ` (×${event.count})` : ""}`,
    );
  }
}

/** The last hour as two lines of bars, each with its peak; one column is a minute. */
function printHour(context: CommandContext, history: AppMetricsHistory): void {
  const out = context.out;
  const points = history.samples.map((sample) => ({ ...sample, at: Date.parse(sample.at) }));
  out.line("");
  if (points.length === 0) {
    out.line("Last hour: no samples yet (none while no pod runs, or where the zone has no metrics).");
    return;
  }
  const window = { end: Date.now(), ms: history.windowSeconds * 1000 };
  const peak = (pick: (p: (typeof points)[number]) => number) => Math.max(...points.map(pick));
  out.line(`Last hour, sampled every ${history.intervalSeconds} s (oldest on the left):`);
  out.line(
    `  CPU     ${sparkline(
      points.map((p) => ({ at: p.at, value: p.cpuMillis })),
      window,
    )}  peak ${millis(peak((p) => p.cpuMillis))}`,
  );
  out.line(
    `  memory  ${sparkline(
      points.map((p) => ({ at: p.at, value: p.memoryBytes })),
      window,
    )}  peak ${mib(peak((p) => p.memoryBytes))}`,
  );
}
