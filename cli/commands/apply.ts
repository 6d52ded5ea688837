import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { parse, stringify } from "yaml";
import { ProjectSpecSchema, type ProjectSpec } from "../../spec/project.js";
import type { ClaimKindName } from "../../spec/claim-kinds.js";
import { withContext, type CommandContext } from "../context.js";
import { CliError, ExitCode, UsageError } from "../exit-codes.js";
import { ApiError } from "../http/problem.js";
import {
  describeChange,
  ITEM_KINDS,
  planChanges,
  specOfAnswer,
  type Change,
  type CurrentProject,
} from "../gitops/plan.js";
import type { Operation } from "../operations/operation.js";
import { segment } from "./options.js";
import type { Project } from "./types.js";

/** The project as it is now, or `undefined` when there is none of that name. */
async function currentProject(context: CommandContext, name: string): Promise<CurrentProject | undefined> {
  let project: Project & { verifiedDomains: string[] };
  try {
    project = await context.client.get(`/v1/projects/${segment(name)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
  const items = {} as Record<ClaimKindName, Record<string, unknown>[]>;
  for (const kind of ITEM_KINDS) {
    items[kind] = [
      ...(await context.client.list<Record<string, unknown>>(`/v1/projects/${segment(name)}/${kind}`)).items,
    ];
  }
  return {
    zone: project.zone,
    internetEgress: project.internetEgress,
    verifiedDomains: project.verifiedDomains,
    items,
  };
}

/** The ProjectSpec of a file, or a usage error naming the file and each field it gets wrong. */
function readSpec(file: string): ProjectSpec {
  let input: unknown;
  try {
    input = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(
      `-f ${file}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    );
  }
  const parsed = ProjectSpecSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`);
  throw new CliError(
    `-f ${file} is not a ProjectSpec (the schema of stacks/project)`,
    ExitCode.usage,
    issues,
  );
}

async function confirmed(context: CommandContext, count: number): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(
      `--yes: ${count} change(s) to apply; give --yes to apply them without a terminal to ask on`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`Apply ${count} change(s)? [y/N] `)).trim());
  } finally {
    prompt.close();
    void context;
  }
}

/** Carries one change out; answers its operation (none for a deletion of nothing). */
async function carryOut(
  context: CommandContext,
  spec: ProjectSpec,
  change: Change,
): Promise<Operation | undefined> {
  const project = `/v1/projects/${segment(spec.project)}`;
  switch (change.action) {
    case "create-project":
    case "update-project":
      return context.client.json<Operation>("PUT", project, {
        body: { zone: change.zone, internetEgress: change.internetEgress },
      });
    case "create":
    case "replace":
      return context.client.json<Operation>("PUT", `${project}/${change.kind}/${segment(change.name)}`, {
        body: change.item,
      });
    case "delete":
      return context.client.json<Operation>("DELETE", `${project}/${change.kind}/${segment(change.name)}`);
  }
}

/** `apply -f` and `get project`: a project kept as a ProjectSpec file. */
export function registerApplyCommands(program: Command): void {
  program
    .command("apply")
    .summary("Make a project what a ProjectSpec file says")
    .description(
      "Make a project what a ProjectSpec file (the schema of stacks/project) says: shows the changes against the project as it is, then makes them with --yes (or when confirmed at a terminal)",
    )
    .requiredOption("-f, --file <file>", "the ProjectSpec, YAML or JSON")
    .option("--yes", "apply without asking")
    .option("--wait", "follow each operation to its end; stop at the first that fails")
    .action(
      withContext<{ file: string; yes?: boolean }>(async (context, opts) => {
        const spec = readSpec(opts.file);
        const current = await currentProject(context, spec.project);
        if (current && current.zone !== spec.zone) {
          throw new CliError(
            `project ${spec.project} lives in zone ${current.zone}, the file says ${spec.zone}: a project's zone is fixed once created`,
            ExitCode.refused,
          );
        }
        const domains = (list: readonly string[]) => [...list].sort().join(",");
        if (domains(current?.verifiedDomains ?? []) !== domains(spec.verifiedDomains)) {
          throw new CliError(
            "verifiedDomains cannot be applied: the service verifies a project's domains itself; leave the list as pluskube get project shows it",
            ExitCode.refused,
          );
        }
        const changes = planChanges(spec, current);
        if (context.out.format === "text") {
          for (const change of changes) context.out.line(describeChange(change));
          if (changes.length === 0)
            context.out.line(`project ${spec.project} is as the file says: nothing to change`);
        }
        if (changes.length === 0) {
          context.print({ project: spec.project, changes: [], operations: [] }, () => {});
          return;
        }
        if (!opts.yes && !(await confirmed(context, changes.length))) {
          throw new CliError("nothing applied", ExitCode.usage);
        }
        const operations: Operation[] = [];
        for (const change of changes) {
          const operation = await carryOut(context, spec, change);
          if (!operation) continue;
          operations.push(operation);
          if (context.flags.wait) await context.accepted(operation, "");
          else if (context.out.format === "text")
            context.out.line(`${describeChange(change)}: operation ${operation.id}`);
        }
        if (context.out.format !== "text")
          context.print({ project: spec.project, changes, operations }, () => {});
      }),
    );

  const get = program.command("get").description("Write a resource back as a file (kubectl get's habit)");
  get
    .command("project")
    .description("A project as a ProjectSpec (YAML unless -o json), as apply -f takes it")
    .argument("<name>", "the project")
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const current = await currentProject(context, name);
        if (!current) throw new CliError(`there is no project ${name}`, ExitCode.refused);
        const spec = {
          project: name,
          zone: current.zone,
          internetEgress: current.internetEgress,
          verifiedDomains: current.verifiedDomains,
          ...Object.fromEntries(ITEM_KINDS.map((kind) => [kind, current.items[kind].map(specOfAnswer)])),
        };
        if (context.out.format === "json") context.out.line(JSON.stringify(spec, null, 2));
        else context.out.line(stringify(spec).trimEnd());
      }),
    );
}
