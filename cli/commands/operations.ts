import type { Command } from "commander";
import { withContext } from "../context.js";
import { followOperation } from "../operations/follow.js";
import { describeEvent, isFinished, outcomeOf, type Operation } from "../operations/operation.js";
import { printFields } from "../output.js";
import { segment } from "./options.js";

/** `watch` and `operations get`: the runs that carry changes out. */
export function registerOperationCommands(program: Command): void {
  program
    .command("watch")
    .summary("Follow an operation live; exits with its outcome")
    .description(
      "Follow an operation live from its event stream (a spinner on a terminal, plain lines otherwise); exits with its outcome",
    )
    .argument("<operation>", "the operation's id, as a change command prints it")
    .action(
      withContext<object, [string]>(async (context, _opts, id) => {
        const followed = await followOperation(context.client, id, context.out, { show: true });
        context.print(followed.operation, () =>
          context.out.line(
            `operation ${followed.operation.id} ${followed.operation.status}${followed.operation.message ? `: ${followed.operation.message}` : ""}`,
          ),
        );
        outcomeOf(followed.operation, followed.events);
      }),
    );

  const operations = program.command("operations").alias("operation").description("Read operations");
  operations
    .command("get")
    .description("An operation's status and its engine events")
    .argument("<operation>", "the operation's id")
    .action(
      withContext<object, [string]>(async (context, _opts, id) => {
        const operation = await context.client.get<Operation>(`/v1/operations/${segment(id)}`);
        context.print(operation, () => {
          printFields(context.out, [
            ["id", operation.id],
            ["project", operation.project],
            ["kind", operation.kind],
            ["request", operation.request],
            ["status", operation.status],
            ["message", operation.message ?? undefined],
            ["created", operation.createdAt],
            ["finished", operation.finishedAt ?? (isFinished(operation) ? "" : "not yet")],
          ]);
          for (const event of operation.events ?? [])
            context.out.line(`  ${describeEvent(event.type, event.data)}`);
        });
      }),
    );
}
