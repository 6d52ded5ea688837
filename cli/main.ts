import { CommanderError } from "commander";
import { CliError, ExitCode } from "./exit-codes.js";
import { buildProgram } from "./program.js";

/**
 * Runs the CLI on the process's arguments and exits with a status a script can act on. Errors
 * are one line (and the field paths of a problem document), never a stack trace.
 */
async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed the message or the help already.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      for (const line of error.details) process.stderr.write(`  ${line}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    if (process.env["PLUSKUBE_DEBUG"] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return ExitCode.failure;
  }
}

process.once("SIGINT", () => process.exit(ExitCode.interrupted));
process.exitCode = await main(process.argv);
