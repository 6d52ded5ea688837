import { Option, type Command } from "commander";
import { InvalidArgumentError } from "commander";
import { withContext, type CommandContext } from "../context.js";
import { printTable } from "../output.js";
import { segment } from "./options.js";

interface Token {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scope: string;
  readonly project?: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `3600`, `90m`, `12h` or `30d`, in seconds. */
function parseLifetime(value: string): number {
  const match = /^(\d{1,9})([smhd])?$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? "s"] ?? 1) : 0;
  if (seconds < 1) throw new InvalidArgumentError("must be a lifetime such as 3600, 90m, 12h or 30d.");
  return seconds;
}

async function me(context: CommandContext): Promise<string> {
  return (await context.client.get<{ user: { name: string } }>("/v1/me")).user.name;
}

/** `tokens …`: the caller's user tokens and their projects' tokens. */
export function registerTokenCommands(program: Command): void {
  const tokens = program.command("tokens").alias("token").description("Create, list and revoke tokens");

  tokens
    .command("create")
    .description(
      "Create a token: a user token, or with --scope read|deploy a token of the project. The new token is printed once; keep it",
    )
    .argument("<name>", "what the token is for, to recognise it in lists")
    .addOption(
      new Option("--scope <scope>", "user: all you may do; read or deploy: the project only")
        .choices(["user", "read", "deploy"])
        .default("user"),
    )
    .option(
      "--expires-in <lifetime>",
      "a lifetime: 3600, 90m, 12h, 30d (default: never for user tokens)",
      parseLifetime,
    )
    .action(
      withContext<{ scope: string; expiresIn?: number }, [string]>(async (context, opts, name) => {
        const body = { name, ...(opts.expiresIn !== undefined ? { expiresIn: opts.expiresIn } : {}) };
        const created =
          opts.scope === "user"
            ? await context.client.json<Token & { token: string }>(
                "POST",
                `/v1/users/${segment(await me(context))}/tokens`,
                {
                  body,
                },
              )
            : await context.client.json<Token & { token: string }>(
                "POST",
                `/v1/projects/${segment(context.project)}/tokens`,
                { body: { ...body, scope: opts.scope } },
              );
        if (!created) return;
        context.print(created, () => {
          context.out.note(
            `token '${created.name}' (${created.scope}, id ${created.id}); it is shown only now:`,
          );
          context.out.line(created.token);
        });
      }),
    );

  tokens
    .command("list")
    .alias("ls")
    .description(
      "Your user tokens, or with --project-tokens the tokens of the project (never the tokens themselves)",
    )
    .option("--project-tokens", "the project's tokens instead of your user tokens")
    .action(
      withContext<{ projectTokens?: boolean }>(async (context, opts) => {
        const path = opts.projectTokens
          ? `/v1/projects/${segment(context.project)}/tokens`
          : `/v1/users/${segment(await me(context))}/tokens`;
        const page = await context.client.list<Token>(path);
        context.print(page, () =>
          printTable(
            context.out,
            ["ID", "NAME", "SCOPE", "PREFIX", "EXPIRES", "REVOKED"],
            page.items.map((token) => [
              token.id,
              token.name,
              token.project ? `${token.scope} (${token.project})` : token.scope,
              `${token.prefix}…`,
              token.expiresAt ?? "never",
              token.revokedAt ?? "",
            ]),
          ),
        );
      }),
    );

  tokens
    .command("revoke")
    .description("Revoke one of your tokens, user or project token, by its id")
    .argument("<id>", "the token's id, as tokens list shows it")
    .action(
      withContext<object, [string]>(async (context, _opts, id) => {
        await context.client.json("DELETE", `/v1/users/${segment(await me(context))}/tokens/${segment(id)}`);
        context.print(null, () => context.out.line(`revoked ${id}`));
      }),
    );
}
