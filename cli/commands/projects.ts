import { Option, type Command } from "commander";
import { withContext, type CommandContext } from "../context.js";
import { CliError, ExitCode, UsageError } from "../exit-codes.js";
import { ApiError } from "../http/problem.js";
import { parseName } from "../input/flags.js";
import type { Operation } from "../operations/operation.js";
import { printFields, printTable } from "../output.js";
import { segment, waitable } from "./options.js";
import type { Project, Zone } from "./types.js";

/** `projects …`: a member's projects, each a namespace in one zone. */
export function registerProjectCommands(program: Command): void {
  const projects = program
    .command("projects")
    .alias("project")
    .description("Create, list, read and delete projects");

  waitable(
    projects
      .command("create")
      .description("Create a project in a zone: its own namespace, fenced off from every other project")
      .argument("<name>", "the project's name (a DNS label)", parseName)
      .option("--zone <zone>", "the zone (default: the service's only zone)")
      .option("--no-internet-egress", "keep the project's apps from opening connections to the internet"),
  ).action(
    withContext<{ zone?: string; internetEgress: boolean }, [string]>(async (context, opts, name) => {
      const zone = opts.zone ?? (await onlyZone(context, "--zone"));
      const operation = await context.client.json<Operation>("PUT", `/v1/projects/${segment(name)}`, {
        body: { zone, internetEgress: opts.internetEgress },
      });
      await context.accepted(operation, "");
    }),
  );

  projects
    .command("list")
    .alias("ls")
    .description("The projects the token reaches")
    .action(withContext(async (context) => listProjects(context)));

  projects
    .command("get")
    .description("A project: zone, status, what it holds and uses")
    .argument("<name>", "the project")
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const project = await context.client.get<Project>(`/v1/projects/${segment(name)}`);
        context.print(project, () => printProject(context, project));
      }),
    );

  waitable(
    projects
      .command("delete")
      .alias("rm")
      .description("Destroy everything of a project (apps, databases, buckets, volumes), then the project")
      .argument("<name>", "the project"),
  ).action(
    withContext<object, [string]>(async (context, _opts, name) => {
      const operation = await context.client.json<Operation>("DELETE", `/v1/projects/${segment(name)}`);
      await context.accepted(operation, `there is no project ${name}`);
    }),
  );

  projects
    .command("operations")
    .description("A project's operations, newest first")
    .argument("[name]", "the project (default: --project)")
    .action(
      withContext<object, [string | undefined]>(async (context, _opts, name) => {
        const page = await context.client.list<Operation>(
          `/v1/projects/${segment(name ?? context.project)}/operations`,
        );
        context.print(page, () =>
          printTable(
            context.out,
            ["ID", "KIND", "STATUS", "REQUEST", "CREATED"],
            page.items.map((op) => [op.id, op.kind, op.status, op.request, op.createdAt]),
          ),
        );
      }),
    );

  registerVpcCommands(program);
}

/** The service's only zone, for commands that leave the zone out; else a usage error naming the flag. */
async function onlyZone(context: CommandContext, flag: string): Promise<string> {
  const zones = await context.client.list<Zone>("/v1/zones");
  const [first, ...more] = zones.items;
  if (first && more.length === 0) return first.name;
  throw new UsageError(`${flag}: name the zone, one of: ${zones.items.map((zone) => zone.name).join(", ")}`);
}

async function listProjects(context: CommandContext): Promise<void> {
  const page = await context.client.list<Project>("/v1/projects");
  context.print(page, () =>
    printTable(
      context.out,
      ["NAME", "ZONE", "STATUS", "APPS", "DATABASES", "BUCKETS", "VOLUMES", "DEPLOYED"],
      page.items.map((project) => [
        project.name,
        project.zone,
        project.status,
        String(project.counts["apps"] ?? 0),
        String(project.counts["databases"] ?? 0),
        String(project.counts["buckets"] ?? 0),
        String(project.counts["volumes"] ?? 0),
        project.appliedRevision >= project.revision ? "yes" : "not yet",
      ]),
    ),
  );
}

function printProject(context: CommandContext, project: Project): void {
  printFields(context.out, [
    ["name", project.name],
    ["zone", project.zone],
    ["status", project.status],
    ["internet egress", project.internetEgress ? "allowed" : "blocked"],
    [
      "deployed",
      project.appliedRevision >= project.revision ? "yes" : `not yet (revision ${project.revision})`,
    ],
    [
      "holds",
      Object.entries(project.counts)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(", "),
    ],
    ["created", project.createdAt],
  ]);
}

/**
 * `vpc …`: private networks as cc names them. A project is the private network: its apps reach each
 * other and its claims, and nothing of other projects.
 */
function registerVpcCommands(program: Command): void {
  const vpc = program
    .command("vpc")
    .summary("Private networks as cc names them: projects")
    .description(
      "Private networks as cc names them; in pluskube a VPC is a project (its own namespace, fenced off by network policies)",
    );

  waitable(
    vpc
      .command("create")
      .description("Create a VPC: a project with its own network")
      .requiredOption("--name <name>", "the VPC's name, which is the project's", parseName)
      .addOption(
        new Option("--cidr <range>", "refused: a project on Kubernetes has no address range of its own"),
      )
      .option("--zone <zone>", "the zone (default: the service's only zone)"),
  ).action(
    withContext<{ name: string; cidr?: string; zone?: string }>(async (context, opts) => {
      if (opts.cidr !== undefined) {
        throw new UsageError(
          "--cidr cannot be honoured: a project's pods take addresses from the zone's pod network, which Kubernetes does not divide per namespace; its isolation comes from network policies instead. Leave --cidr out",
        );
      }
      const zone = opts.zone ?? (await onlyZone(context, "--zone"));
      const operation = await context.client.json<Operation>("PUT", `/v1/projects/${segment(opts.name)}`, {
        body: { zone },
      });
      await context.accepted(operation, "");
    }),
  );

  vpc
    .command("list")
    .alias("ls")
    .description("The VPCs (projects)")
    .action(withContext(async (context) => listProjects(context)));

  waitable(
    vpc
      .command("delete")
      .alias("rm")
      .description(
        "Delete VPCs: refused for one still in use (holding apps, databases, buckets or volumes); one that does not exist is already deleted",
      )
      .argument("<id...>", "the VPCs (projects)"),
  ).action(
    withContext<object, [string[]]>(async (context, _opts, ids) => {
      let failed: CliError | undefined;
      for (const id of ids) {
        try {
          await deleteVpc(context, id);
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          context.out.note(`error: ${error.message}`);
          failed ??= error;
        }
      }
      if (failed) throw new CliError(`not every VPC was deleted`, failed.exitCode);
    }),
  );
}

async function deleteVpc(context: CommandContext, id: string): Promise<void> {
  let project: Project;
  try {
    project = await context.client.get<Project>(`/v1/projects/${segment(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      context.out.note(`${id}: no such VPC (nothing to delete)`);
      return;
    }
    throw error;
  }
  const held = Object.entries(project.counts).filter(([, count]) => count > 0);
  if (held.length > 0) {
    throw new CliError(
      `${id} is in use: it holds ${held.map(([kind, count]) => `${count} ${kind}`).join(", ")}; delete them first (or the whole project with pluskube projects delete ${id})`,
      ExitCode.refused,
    );
  }
  const operation = await context.client.json<Operation>("DELETE", `/v1/projects/${segment(id)}`);
  await context.accepted(operation, `${id}: no such VPC (nothing to delete)`);
}
