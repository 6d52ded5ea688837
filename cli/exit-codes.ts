/**
 * What the CLI's exit status tells a script: the command did what was asked, the command line
 * was wrong (nothing was sent), the service refused the request (a problem document: quota,
 * policy, authorisation, not found, conflict), or something failed on the way (the service,
 * the network, or the operation's run).
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  /** Interrupted by the terminal (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line and an exit status, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Further lines shown under the message, such as a problem document's field paths. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Bad input refused before any request; the message names the flag and what it allows. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = "UsageError";
  }
}
