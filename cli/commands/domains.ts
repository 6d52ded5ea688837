import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { DOMAIN_CLAIM_MESSAGE, isDomainClaim, normalizeClaim } from "../../spec/domains.js";
import { withContext, type CommandContext } from "../context.js";
import type { Operation } from "../operations/operation.js";
import { printFields, printTable, type Output } from "../output.js";
import { segment, waitable } from "./options.js";

/** A custom domain as the API answers it (automation-api/http/domain-schemas.ts). */
interface CustomDomain {
  readonly domain: string;
  readonly state: "pending" | "verified" | "lapsed";
  readonly record: { readonly type: "TXT"; readonly name: string; readonly value: string };
  readonly hosts: readonly { readonly app: string; readonly host: string }[];
  readonly problem: string | null;
  readonly checkedAt: string | null;
  readonly nextCheckAt: string;
  readonly verifiedAt: string | null;
  readonly lapsedAt: string | null;
  readonly operation?: { readonly id: string };
}

function parseDomain(value: string): string {
  const domain = normalizeClaim(value);
  if (!isDomainClaim(domain)) throw new InvalidArgumentError(`${DOMAIN_CLAIM_MESSAGE}.`);
  return domain;
}

/** The record as a zone file writes it, which most DNS hosts' forms take field by field. */
function printRecord(out: Output, domain: CustomDomain): void {
  out.line(`${domain.record.name}.  ${domain.record.type}  "${domain.record.value}"`);
}

function printDomain(context: CommandContext, domain: CustomDomain): void {
  printFields(context.out, [
    ["domain", domain.domain],
    ["state", domain.state],
    ["record", `${domain.record.name} ${domain.record.type} "${domain.record.value}"`],
    ["used by", domain.hosts.map((entry) => `${entry.host} (${entry.app})`).join(", ") || "no app"],
    ["problem", domain.problem ?? undefined],
    ["checked", domain.checkedAt ?? "not yet"],
    ["next check", domain.nextCheckAt],
    ["verified", domain.verifiedAt ?? undefined],
    ["lapsed", domain.lapsedAt ?? undefined],
  ]);
}

/** `domains …`: a project's custom domains, verified by a DNS TXT record. */
export function registerDomainCommands(program: Command): void {
  const domains = program
    .command("domains")
    .alias("domain")
    .description(
      "Custom domains of the project: add one, publish the TXT record it names, verify it; then apps may use it (--custom-domain)",
    );
  const base = (project: string) => `/v1/projects/${segment(project)}/domains`;

  domains
    .command("add")
    .description(
      "Add a domain (shop.example.org, or *.example.org for every name under it) and print the TXT record that verifies it",
    )
    .argument("<domain>", "the domain", parseDomain)
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const domain = await context.client.json<CustomDomain>(
          "PUT",
          `${base(context.project)}/${segment(name)}`,
        );
        if (!domain) return;
        context.print(domain, () => {
          context.out.note(
            `${domain.domain} is ${domain.state}. Publish this record at your DNS host, then run: pluskube domains verify ${domain.domain}`,
          );
          printRecord(context.out, domain);
        });
      }),
    );

  domains
    .command("verify")
    .description(
      "Look the domain's TXT record up now; exits 3 with what was found when it is not there (the service also looks on its own, periodically)",
    )
    .argument("<domain>", "the domain", parseDomain)
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const domain = await context.client.json<CustomDomain>(
          "POST",
          `${base(context.project)}/${segment(name)}/verify`,
        );
        if (!domain) return;
        context.print(domain, () => {
          context.out.line(`${domain.domain} is verified: apps of ${context.project} may use it`);
          if (domain.operation) {
            context.out.note(`operation ${domain.operation.id} records it in the project`);
          }
        });
      }),
    );

  domains
    .command("list")
    .alias("ls")
    .description("The project's domains: state, the apps' hosts each covers, what the last look found")
    .action(
      withContext(async (context) => {
        const page = await context.client.list<CustomDomain>(base(context.project));
        context.print(page, () =>
          printTable(
            context.out,
            ["DOMAIN", "STATE", "USED BY", "CHECKED", "PROBLEM"],
            page.items.map((domain) => [
              domain.domain,
              domain.state,
              domain.hosts.map((entry) => entry.host).join(",") || "-",
              domain.checkedAt ?? "not yet",
              domain.problem ?? "",
            ]),
          ),
        );
      }),
    );

  domains
    .command("get")
    .description("One domain: its state, the TXT record to publish, what the last look found")
    .argument("<domain>", "the domain", parseDomain)
    .action(
      withContext<object, [string]>(async (context, _opts, name) => {
        const domain = await context.client.get<CustomDomain>(`${base(context.project)}/${segment(name)}`);
        context.print(domain, () => printDomain(context, domain));
      }),
    );

  waitable(
    domains
      .command("remove")
      .alias("rm")
      .description(
        "Remove a domain; apps that use it lose those hosts (their Ingress rules go) through an operation",
      )
      .argument("<domain>", "the domain", parseDomain),
  ).action(
    withContext<object, [string]>(async (context, _opts, name) => {
      const operation = await context.client.json<Operation>(
        "DELETE",
        `${base(context.project)}/${segment(name)}`,
      );
      await context.accepted(operation, `${name} is not a domain of ${context.project} (any more)`);
    }),
  );
}
