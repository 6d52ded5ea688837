import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { isEnvName } from "../../spec/names.js";
import { withContext } from "../context.js";
import { readSecret } from "../input/secret-input.js";
import type { Operation } from "../operations/operation.js";
import { printTable } from "../output.js";
import { segment, waitable } from "./options.js";

function parseEnvName(value: string): string {
  if (!isEnvName(value) || value.length > 128) {
    throw new InvalidArgumentError(
      "must be a variable name: letters, digits and '_', not starting with a digit, at most 128.",
    );
  }
  return value;
}

/** `secret-env …`: an app's write-only secret variables. */
export function registerSecretEnvCommands(program: Command): void {
  const group = program
    .command("secret-env")
    .description(
      "An app's secret variables: written, never read back; setting or removing one rolls the app out",
    );
  const base = (project: string, app: string) =>
    `/v1/projects/${segment(project)}/apps/${segment(app)}/secret-env`;

  waitable(
    group
      .command("set")
      .description(
        "Set a secret variable; its value is read from stdin (or typed at a prompt), never from the command line",
      )
      .argument("<app>", "the app")
      .argument("<name>", "the variable's name", parseEnvName),
  )
    .addHelpText("after", '\nExample:\n  printf %s "$STRIPE_KEY" | pluskube secret-env set web STRIPE_KEY')
    .action(
      withContext<object, [string, string]>(async (context, _opts, app, name) => {
        const value = await readSecret(`Value of ${name}: `, `value of ${name}`);
        const operation = await context.client.json<Operation>(
          "PUT",
          `${base(context.project, app)}/${segment(name)}`,
          { body: { value } },
        );
        await context.accepted(operation, "");
      }),
    );

  waitable(
    group
      .command("unset")
      .description("Remove a secret variable")
      .argument("<app>", "the app")
      .argument("<name>", "the variable's name", parseEnvName),
  ).action(
    withContext<object, [string, string]>(async (context, _opts, app, name) => {
      const operation = await context.client.json<Operation>(
        "DELETE",
        `${base(context.project, app)}/${segment(name)}`,
      );
      await context.accepted(operation, `${app} has no secret variable ${name}`);
    }),
  );

  group
    .command("list")
    .alias("ls")
    .description("The names of an app's secret variables and when each was set (never their values)")
    .argument("<app>", "the app")
    .action(
      withContext<object, [string]>(async (context, _opts, app) => {
        const page = await context.client.list<{ name: string; setAt: string }>(base(context.project, app));
        context.print(page, () =>
          printTable(
            context.out,
            ["NAME", "SET"],
            page.items.map((entry) => [entry.name, entry.setAt]),
          ),
        );
      }),
    );
}
