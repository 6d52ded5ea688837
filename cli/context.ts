import type { Command } from "commander";
import { resolveConnection, type Connection, type ConnectionFlags } from "./config/connection.js";
import { UsageError } from "./exit-codes.js";
import { ApiClient } from "./http/client.js";
import { consoleOutput, printResult, type Output, type OutputFormat } from "./output.js";
import { followOperation } from "./operations/follow.js";
import { outcomeOf, type Operation } from "./operations/operation.js";

/** The global flags every command takes (program.ts declares them). */
export interface GlobalFlags extends ConnectionFlags {
  readonly output: OutputFormat;
  readonly wait?: boolean;
}

/** What a command runs with: its output, and the service once it asks for it. */
export class CommandContext {
  readonly out: Output;
  private resolved: Connection | undefined;

  constructor(readonly flags: GlobalFlags) {
    this.out = consoleOutput(flags.output);
  }

  /** Endpoint, token and project; read only when a command needs the service. */
  get connection(): Connection {
    this.resolved ??= resolveConnection(this.flags);
    return this.resolved;
  }

  get client(): ApiClient {
    return new ApiClient(this.connection.endpoint, this.connection.token);
  }

  /** The project a command acts on: `--project`, `PLUSKUBE_PROJECT` or the profile's. */
  get project(): string {
    const project = this.connection.project;
    if (!project) {
      throw new UsageError(
        "no project: give --project NAME, set PLUSKUBE_PROJECT, or log in with --project NAME",
      );
    }
    return project;
  }

  /**
   * Reports a change the service accepted. With `--wait`, follows its operation to the end and
   * fails with the operation's outcome; without, prints the operation to watch.
   */
  async accepted(operation: Operation | undefined, nothing: string): Promise<void> {
    if (!operation) {
      // 204: there was nothing to change, which scripts see as JSON's null.
      this.print(null, () => this.out.line(nothing));
      return;
    }
    if (operation.status === "succeeded") {
      // Over as it was made: the service had nothing to run (it says so in the message).
      this.print(operation, () =>
        this.out.line(
          `operation ${operation.id} succeeded${operation.message ? `: ${operation.message}` : ""}`,
        ),
      );
      return;
    }
    if (!this.flags.wait) {
      this.print(operation, () =>
        this.out.line(`accepted: operation ${operation.id} (follow it with: pluskube watch ${operation.id})`),
      );
      return;
    }
    const followed = await followOperation(this.client, operation.id, this.out, {
      show: this.out.format === "text",
    });
    this.print(followed.operation, () =>
      this.out.line(`operation ${followed.operation.id} ${followed.operation.status}`),
    );
    outcomeOf(followed.operation, followed.events);
  }

  /** The API's JSON or YAML when asked, else `text`. */
  print(value: unknown, text: () => void): void {
    printResult(this.out, value, text);
  }
}

/**
 * A command's action with its context: the global flags of the program merged with the
 * command's own (`optsWithGlobals`), whatever level the command is at.
 */
export function withContext<Opts extends object = object, Args extends unknown[] = string[]>(
  run: (context: CommandContext, opts: Opts, ...args: Args) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const flags = command.optsWithGlobals<GlobalFlags & Opts>();
    await run(new CommandContext(flags), flags, ...(args.slice(0, -2) as Args));
  };
}
