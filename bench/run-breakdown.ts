/**
 * Where one engine run's time goes, measured from outside the engine: each `pulumi` command the
 * Automation API starts (timed around the process), and within `up` and `preview` the engine's
 * own events as they reach the service: the first one (CLI start, plugins and program up), each
 * resource's step from start to done (the provider's work and waits), the summary, and the exit
 * after it (the last state write and shutdown of the plugins).
 */
import type { PulumiCommand } from "@pulumi/pulumi/automation/index.js";
import type { AutomationRunner } from "../automation-api/runner/automation-runner.js";
import type { RunEvent } from "../automation-api/runner/runner.js";

interface Command {
  readonly what: string;
  readonly startedAt: number;
  readonly ms: number;
}

/** Times every CLI command the runner starts; `events` notes engine events against the clock. */
export class RunBreakdown {
  private commands: Command[] = [];
  private events: { at: number; event: RunEvent }[] = [];

  /** Wraps the runner's CLI so that each command is timed. */
  constructor(runner: AutomationRunner) {
    const options = (runner as unknown as { options: { pulumiCommand?: () => Promise<PulumiCommand> } })
      .options;
    const base = options.pulumiCommand;
    if (!base) throw new Error("the runner has no pulumiCommand to time");
    const timed = new WeakSet<PulumiCommand>();
    (options as { pulumiCommand: () => Promise<PulumiCommand> }).pulumiCommand = async () => {
      const command = await base();
      if (timed.has(command)) return command;
      timed.add(command);
      // `run` is public in the SDK's JavaScript but left out of its typings.
      const runnable = command as unknown as {
        run: (args: string[], ...rest: unknown[]) => Promise<unknown>;
      };
      const run = runnable.run.bind(command);
      runnable.run = async (args: string[], ...rest: unknown[]) => {
        const startedAt = Date.now();
        try {
          return await run(args, ...rest);
        } finally {
          // The command's words, up to its first flag: `stack output`, `up`, `preview`.
          const flag = args.findIndex((arg) => arg.startsWith("-"));
          const what = args
            .slice(0, flag < 0 ? args.length : flag)
            .slice(0, 2)
            .join(" ");
          this.commands.push({ what, startedAt, ms: Date.now() - startedAt });
        }
      };
      return command;
    };
  }

  /** Starts a fresh record; pass `onEvent` to the run. */
  reset(): (event: RunEvent) => void {
    this.commands = [];
    this.events = [];
    return (event) => this.events.push({ at: Date.now(), event });
  }

  /** Each CLI command since `reset` (`up`, `stack select`, …) and how long it took. */
  commandTimes(): readonly { what: string; ms: number }[] {
    return this.commands.map(({ what, ms }) => ({ what, ms }));
  }

  /** The record of the run since `reset`, as lines to print. */
  lines(): string[] {
    const out: string[] = [];
    const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
    const total = this.commands.reduce((sum, c) => sum + c.ms, 0);
    for (const command of this.commands) {
      const engine = command.what === "up" || command.what === "preview";
      out.push(`  ${command.what.padEnd(16)} ${s(command.ms).padStart(7)}`);
      if (!engine) continue;
      const inside = this.events.filter(
        ({ at }) => at >= command.startedAt && at <= command.startedAt + command.ms,
      );
      const first = inside[0];
      if (!first) continue;
      out.push(
        `    until the first engine event (CLI, plugins, program)  ${s(first.at - command.startedAt)}`,
      );
      const started = new Map<string, number>();
      for (const { at, event } of inside) {
        if (event.type !== "resource") continue;
        if (event.status === "started") started.set(event.urn, at);
        else if (started.has(event.urn)) {
          const name = event.urn.split("::").slice(-2).join(" ");
          out.push(`${`    ${event.op} ${name}`.padEnd(70)} ${s(at - (started.get(event.urn) ?? at))}`);
        }
      }
      const summary = inside.find(({ event }) => event.type === "summary");
      if (summary) {
        out.push(`    until the summary  ${s(summary.at - command.startedAt)}`);
        out.push(
          `    exit after the summary (state, plugins)  ${s(command.startedAt + command.ms - summary.at)}`,
        );
      }
    }
    out.push(`  ${"all commands".padEnd(16)} ${s(total).padStart(7)}`);
    return out;
  }
}
