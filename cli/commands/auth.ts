import type { Command } from "commander";
import { chosenProfile, checkEndpoint } from "../config/connection.js";
import {
  DEFAULT_PROFILE,
  profilesPath,
  readProfiles,
  withoutProfile,
  withProfile,
  writeProfiles,
} from "../config/profiles.js";
import { withContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import { ApiClient } from "../http/client.js";
import { readSecret } from "../input/secret-input.js";
import { printFields, printTable } from "../output.js";

/** `GET /v1/me`: who a token belongs to. */
interface Me {
  readonly user: { readonly name: string; readonly admin: boolean; readonly weight: number };
  readonly token: {
    readonly name: string;
    readonly scope: string;
    readonly project?: string;
    readonly prefix: string;
  };
}

/** `login`, `logout`, `whoami` and `profiles`: who the CLI speaks to the service as. */
export function registerAuthCommands(program: Command): void {
  program
    .command("login")
    .summary("Keep a checked token and endpoint in a profile")
    .description(
      "Check a token against the service and keep it, with the endpoint (and a default project), in a profile (a file only you can read). The token is read from --token, PLUSKUBE_TOKEN, stdin, or typed at a prompt",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  pluskube login --endpoint https://pluskube.example.org --project shop   # asks for the token\n  pass show pluskube | pluskube login --endpoint https://pluskube.example.org --profile work",
    )
    .action(
      withContext(async (context) => {
        const { flags, out } = context;
        const path = profilesPath();
        const file = readProfiles(path);
        const name = flags.profile ?? process.env["PLUSKUBE_PROFILE"] ?? file.current ?? DEFAULT_PROFILE;
        const previous = file.profiles[name];
        const endpointText = flags.endpoint ?? process.env["PLUSKUBE_ENDPOINT"] ?? previous?.endpoint;
        if (!endpointText)
          throw new UsageError("--endpoint: give the service's URL, such as https://pluskube.example.org");
        const endpointSource = flags.endpoint
          ? "--endpoint"
          : process.env["PLUSKUBE_ENDPOINT"]
            ? "PLUSKUBE_ENDPOINT"
            : `profile '${name}'s endpoint`;
        const endpoint = checkEndpoint(endpointText, endpointSource);
        const token =
          flags.token ??
          process.env["PLUSKUBE_TOKEN"] ??
          (await readSecret(`Token for ${endpoint}: `, "token"));
        const me = await new ApiClient(endpoint, token).get<Me>("/v1/me");
        const project = flags.project ?? me.token.project ?? previous?.project;
        writeProfiles(path, withProfile(file, name, { endpoint, token, ...(project ? { project } : {}) }));
        context.print(
          { profile: name, endpoint, user: me.user.name, token: me.token.name, project: project ?? null },
          () =>
            out.line(
              `logged in to ${endpoint} as ${me.user.name} (token '${me.token.name}', ${me.token.scope}); profile '${name}'${project ? `, project ${project}` : ""}`,
            ),
        );
      }),
    );

  program
    .command("logout")
    .summary("Forget a profile")
    .description(
      "Forget a profile and its token (the current one, or --profile); the token itself stays valid until revoked",
    )
    .action(
      withContext(async (context) => {
        const path = profilesPath();
        const file = readProfiles(path);
        const { name, profile } = chosenProfile(context.flags);
        if (!profile) {
          context.out.line(`no profile '${name}' to forget`);
          return;
        }
        writeProfiles(path, withoutProfile(file, name));
        context.out.line(`forgot profile '${name}'`);
      }),
    );

  program
    .command("whoami")
    .description("The user and token the CLI calls the service with (never the token itself)")
    .action(
      withContext(async (context) => {
        const me = await context.client.get<Me>("/v1/me");
        const { connection } = context;
        context.print(me, () =>
          printFields(context.out, [
            ["user", me.user.name],
            ["admin", String(me.user.admin)],
            ["token", `${me.token.name} (${me.token.scope}, ${me.token.prefix}…)`],
            ["project", me.token.project ?? connection.project],
            ["endpoint", `${connection.endpoint} (from ${connection.sources.endpoint})`],
          ]),
        );
      }),
    );

  program
    .command("profiles")
    .description("The profiles pluskube login wrote, and which is current (never their tokens)")
    .action(
      withContext(async (context) => {
        const path = profilesPath();
        const file = readProfiles(path);
        const rows = Object.entries(file.profiles).map(([name, profile]) => ({
          name,
          endpoint: profile.endpoint,
          project: profile.project ?? null,
          current: name === file.current,
        }));
        context.print({ path, profiles: rows }, () =>
          printTable(
            context.out,
            ["NAME", "ENDPOINT", "PROJECT", "CURRENT"],
            rows.map((row) => [row.name, row.endpoint, row.project ?? "", row.current ? "*" : ""]),
          ),
        );
      }),
    );
}
