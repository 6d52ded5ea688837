import { Command, Option } from "commander";
import { registerApplyCommands } from "./commands/apply.js";
import { registerAppCommands } from "./commands/apps.js";
import { registerAuthCommands } from "./commands/auth.js";
import { registerClaimCommands, registerVolumeCommands } from "./commands/claims.js";
import { registerCompletionCommand } from "./commands/completion.js";
import { registerDomainCommands } from "./commands/domains.js";
import { registerOperationCommands } from "./commands/operations.js";
import { registerPortForwardCommands } from "./commands/port-forward.js";
import { registerProjectCommands } from "./commands/projects.js";
import { registerQuotaCommands } from "./commands/quota.js";
import { registerRuntimeCommands } from "./commands/runtime.js";
import { registerSecretEnvCommands } from "./commands/secret-env.js";
import { registerTokenCommands } from "./commands/tokens.js";
import { OUTPUT_FORMATS } from "./output.js";
import { cliVersion } from "./version.js";

const EXIT_CODES_HELP = `
Endpoint and token come from --endpoint/--token, else PLUSKUBE_ENDPOINT/PLUSKUBE_TOKEN, else the
profile pluskube login wrote (--profile or PLUSKUBE_PROFILE chooses one). The project likewise
from --project, PLUSKUBE_PROJECT, or the profile.

Exit status: 0 done; 1 failed (the service, the network, or the operation's run);
2 bad command line (nothing was sent); 3 refused by the service (quota, policy,
authorisation, not found, conflict); 130 interrupted.`;

/** The `pluskube` command and every subcommand; nothing runs until it is parsed. */
export function buildProgram(): Command {
  const program = new Command("pluskube")
    .description("Run containers, Postgres databases and S3 buckets on a pluskube zone")
    .version(cliVersion(), "-V, --version", "print the version")
    .option("--endpoint <url>", "the service's URL (env PLUSKUBE_ENDPOINT)")
    .option("--token <token>", "the token to call it with (env PLUSKUBE_TOKEN; prefer either to this flag)")
    .option("--profile <name>", "the profile of pluskube login to use (env PLUSKUBE_PROFILE)")
    .option("-p, --project <name>", "the project to act on (env PLUSKUBE_PROJECT)")
    .addOption(
      new Option("-o, --output <format>", "how to print answers: text, or the API's json or yaml")
        .choices(OUTPUT_FORMATS)
        .default("text"),
    )
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: true })
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();

  registerAuthCommands(program);
  registerProjectCommands(program);
  registerAppCommands(program);
  registerRuntimeCommands(program);
  registerOperationCommands(program);
  registerClaimCommands(program);
  registerVolumeCommands(program);
  registerSecretEnvCommands(program);
  registerDomainCommands(program);
  registerPortForwardCommands(program);
  registerQuotaCommands(program);
  registerApplyCommands(program);
  registerTokenCommands(program);
  registerCompletionCommand(program);
  return program;
}
