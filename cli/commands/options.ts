import type { Command } from "commander";

/** Adds `--wait` to a command that changes something through an operation. */
export function waitable(command: Command): Command {
  return command.option("--wait", "follow the operation to its end and exit with its outcome");
}

/** A path segment of a URL. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
