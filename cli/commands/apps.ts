import type { Command } from "commander";
import { AppSpecSchema } from "../../spec/items.js";
import { CommandContext, withContext } from "../context.js";
import { UsageError } from "../exit-codes.js";
import {
  collectEnv,
  collectMount,
  collect,
  integerIn,
  parseCpu,
  parseImage,
  parseName,
  parseSize,
  type MountFlag,
} from "../input/flags.js";
import type { Operation } from "../operations/operation.js";
import { printFields, printTable } from "../output.js";
import { segment, waitable } from "./options.js";
import type { Item } from "./types.js";

/** The flags that shape an app's container, shared by `run`, `apps deploy` and `apps update`. */
interface ContainerFlags {
  readonly image?: string;
  readonly memory?: string;
  readonly cpu?: string;
  readonly disk?: string;
  readonly user?: number;
  readonly env?: Record<string, string>;
  readonly dir?: string;
  readonly port?: number;
  readonly replicas?: number;
  readonly volume?: MountFlag[];
  readonly customDomain?: string[];
  readonly command?: boolean;
}

/** Which flag sets which field of an app, to name the flag when the spec refuses a value. */
const FLAG_OF_FIELD: Record<string, string> = {
  image: "--image",
  memory: "--memory",
  cpu: "--cpu",
  disk: "--disk",
  user: "--user",
  env: "--env",
  workingDir: "--dir",
  port: "--port",
  replicas: "--replicas",
  volumes: "--volume",
  customDomains: "--custom-domain",
  command: "COMMAND",
  args: "ARG",
  name: "--name",
};

function containerOptions(command: Command): Command {
  return command
    .option(
      "--memory <size>",
      "memory per replica: bytes, or 512Mi, 512MiB, 1G, 1GB (default: the zone's chunk)",
      parseSize,
    )
    .option("--cpu <cpus>", "CPUs per replica: 0.5, 2 or 500m (default: the zone's chunk)", parseCpu)
    .option("--disk <size>", "scratch disk per replica, as --memory (default: the zone's chunk)", parseSize)
    .option("--user <uid>", "the numeric user the container runs as (not root)", integerIn(1, 2_147_483_647))
    .option("--env <NAME=VALUE>", "an environment variable; repeat for more", collectEnv)
    .option("--dir <path>", "the working directory, an absolute path")
    .option("--port <port>", "the port the app listens on (default 8080)", integerIn(1, 65_535))
    .option("--replicas <n>", "how many replicas run (default 1)", integerIn(0, 50))
    .option("--volume <NAME:PATH[:ro]>", "mount one of the project's volumes; repeat for more", collectMount)
    .option(
      "--custom-domain <host>",
      "serve the app on a verified custom domain too (see pluskube domains); repeat for more",
      collect,
    );
}

/** The app's fields the flags give, as the API names them. */
function containerFields(opts: ContainerFlags): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (opts.image !== undefined) fields["image"] = opts.image;
  if (opts.memory !== undefined) fields["memory"] = opts.memory;
  if (opts.cpu !== undefined) fields["cpu"] = opts.cpu;
  if (opts.disk !== undefined) fields["disk"] = opts.disk;
  if (opts.user !== undefined) fields["user"] = opts.user;
  if (opts.env !== undefined) fields["env"] = opts.env;
  if (opts.dir !== undefined) fields["workingDir"] = opts.dir;
  if (opts.port !== undefined) fields["port"] = opts.port;
  if (opts.replicas !== undefined) fields["replicas"] = opts.replicas;
  if (opts.volume !== undefined) fields["volumes"] = opts.volume;
  if (opts.customDomain !== undefined) fields["customDomains"] = opts.customDomain;
  return fields;
}

/**
 * Checks an app with the spec's own schema before sending it, so that a value the service
 * would refuse is refused here, naming its flag.
 */
function checkApp(app: Record<string, unknown>): void {
  const parsed = AppSpecSchema.safeParse(app);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? "");
  throw new UsageError(`${FLAG_OF_FIELD[field] ?? field}: ${issue?.message ?? "is not allowed"}`);
}

/** An app's name from its image: `ghcr.io/shop/web:1.4` → `web`. */
function nameFromImage(image: string): string {
  const last = image.split("@")[0]?.split("/").at(-1)?.split(":")[0] ?? "";
  const name = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  if (!name) throw new UsageError(`--name: give the app a name; none can be made from the image '${image}'`);
  return name;
}

async function deploy(
  context: CommandContext,
  name: string,
  opts: ContainerFlags,
  argv: readonly string[],
): Promise<void> {
  const app: Record<string, unknown> = { name, ...containerFields(opts) };
  if (argv.length > 0) {
    if (opts.command) {
      app["command"] = [argv[0]];
      if (argv.length > 1) app["args"] = argv.slice(1);
    } else {
      app["args"] = [...argv];
    }
  } else if (opts.command) {
    throw new UsageError("--command: give the command after --, such as -- /bin/server --verbose");
  }
  checkApp(app);
  const operation = await context.client.json<Operation>(
    "PUT",
    `/v1/projects/${segment(context.project)}/apps/${segment(name)}`,
    { body: app },
  );
  await context.accepted(operation, "");
  // After a deploy that waited, the member's next step is to open the app: say where it answers.
  if (operation && context.flags.wait && context.out.format === "text") {
    const deployed = await context.client.get<{ outputs?: { urls?: string[] } }>(
      `/v1/projects/${segment(context.project)}/apps/${segment(name)}`,
    );
    for (const url of deployed.outputs?.urls ?? []) context.out.line(`url: ${url}`);
  }
}

const RUN_HELP = `
COMMAND and ARG… replace the image's default arguments (its CMD), as kubectl run does; with
--command they replace its entrypoint instead. Put them after --:

  pluskube run --image nginx:1.27 --memory 256Mi --env MODE=demo
  pluskube run --image busybox:1.37 --name clock --user 1000 -- sh -c 'while date; do sleep 5; done'
  pluskube run --image ghcr.io/shop/web:1.4 --vpc shop --volume data:/data --cpu 500m --wait`;

/** `run` and `apps …`: containers of a project. */
export function registerAppCommands(program: Command): void {
  waitable(
    containerOptions(
      program
        .command("run")
        .description("Run an image as an app of the project (create it, or replace the app of that name)")
        .requiredOption("--image <image>", "the image, such as nginx:1.27", parseImage)
        .option("--name <name>", "the app's name (default: from the image's name)", parseName)
        .option("--vpc <id>", "the VPC, which is the project (the same as --project)")
        .option("--command", "COMMAND replaces the image's entrypoint, not only its arguments")
        .argument("[command...]", "COMMAND [ARG…] to run instead of the image's default"),
    ),
  )
    .addHelpText("after", RUN_HELP)
    .action(
      withContext<ContainerFlags & { image: string; name?: string; vpc?: string }, [string[]]>(
        async (context, opts, argv) => {
          if (opts.vpc !== undefined) {
            const chosen = context.flags.project;
            if (chosen !== undefined && chosen !== opts.vpc) {
              throw new UsageError(`--vpc: '${opts.vpc}' names another project than --project '${chosen}'`);
            }
          }
          const scoped =
            opts.vpc !== undefined ? new CommandContext({ ...context.flags, project: opts.vpc }) : context;
          await deploy(scoped, opts.name ?? nameFromImage(opts.image), opts, argv);
        },
      ),
    );

  const apps = program
    .command("apps")
    .alias("app")
    .description("Deploy, change, scale, list and delete apps");

  waitable(
    containerOptions(
      apps
        .command("deploy")
        .description("Deploy an image as the app NAME (create it, or replace it)")
        .argument("<name>", "the app's name", parseName)
        .requiredOption("--image <image>", "the image, such as nginx:1.27", parseImage)
        .option("--command", "COMMAND replaces the image's entrypoint, not only its arguments")
        .argument("[command...]", "COMMAND [ARG…] to run instead of the image's default"),
    ),
  ).action(
    withContext<ContainerFlags, [string, string[]]>(async (context, opts, name, argv) =>
      deploy(context, name, opts, argv),
    ),
  );

  waitable(
    containerOptions(
      apps
        .command("update")
        .description("Change some of an app's settings; the others stay as they are")
        .argument("<name>", "the app")
        .option("--image <image>", "a new image", parseImage)
        .option("--unset-env <NAME>", "remove an environment variable; repeat for more", collect),
    ),
  ).action(
    withContext<ContainerFlags & { unsetEnv?: string[] }, [string]>(async (context, opts, name) => {
      const patch = containerFields(opts);
      if (opts.unsetEnv) {
        patch["env"] = {
          ...(patch["env"] as Record<string, string> | undefined),
          ...Object.fromEntries(opts.unsetEnv.map((key) => [key, null])),
        };
      }
      if (Object.keys(patch).length === 0) {
        throw new UsageError(
          "nothing to change: give at least one of --image, --env, --unset-env, --memory, --cpu, --disk, --user, --dir, --port, --replicas, --volume",
        );
      }
      const operation = await context.client.json<Operation>(
        "PATCH",
        `/v1/projects/${segment(context.project)}/apps/${segment(name)}`,
        { body: patch, patch: "merge" },
      );
      await context.accepted(operation, "");
    }),
  );

  waitable(
    apps
      .command("scale")
      .description("Set how many replicas of an app run (0 stops it and keeps it)")
      .argument("<name>", "the app")
      .argument("<replicas>", "0 to 50", integerIn(0, 50)),
  ).action(
    withContext<object, [string, number]>(async (context, _opts, name, replicas) => {
      const operation = await context.client.json<Operation>(
        "PATCH",
        `/v1/projects/${segment(context.project)}/apps/${segment(name)}`,
        { body: { replicas }, patch: "merge" },
      );
      await context.accepted(operation, "");
    }),
  );

  waitable(
    apps
      .command("delete")
      .alias("rm")
      .description("Delete an app (its secret variables are kept for an app of that name)")
      .argument("<name>", "the app"),
  ).action(
    withContext<object, [string]>(async (context, _opts, name) => {
      const operation = await context.client.json<Operation>(
        "DELETE",
        `/v1/projects/${segment(context.project)}/apps/${segment(name)}`,
      );
      await context.accepted(operation, `there is no app ${name}`);
    }),
  );

  apps
    .command("list")
    .alias("ls")
    .description("The project's apps")
    .action(
      withContext(async (context) => {
        const page = await context.client.list<Item>(`/v1/projects/${segment(context.project)}/apps`);
        context.print(page, () =>
          printTable(
            context.out,
            ["NAME", "IMAGE", "REPLICAS", "URL", "DEPLOYED"],
            page.items.map((app) => [
              app.name,
              String(app["image"]),
              String(app["replicas"]),
              String(app.outputs?.["url"] ?? ""),
              app.deployed ? "yes" : "not yet",
            ]),
          ),
        );
      }),
    );

  apps
    .command("get")
    .description("An app's settings and URL")
    .argument("<name>", "the app")
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const app = await context.client.get<Item>(
          `/v1/projects/${segment(context.project)}/apps/${segment(name)}`,
        );
        context.print(app, () =>
          printFields(
            context.out,
            Object.entries(app).filter(([key]) => key !== "links"),
          ),
        );
      }),
    );
}
