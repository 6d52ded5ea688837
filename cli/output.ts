import { stringify } from "yaml";

/** How a command prints its answer: for people (`text`), or the API's JSON or YAML for scripts. */
export const OUTPUT_FORMATS = ["text", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Where a command writes: its answer to stdout, progress and errors to stderr. */
export interface Output {
  readonly format: OutputFormat;
  /** Whether stderr is a terminal (a spinner may redraw its line). */
  readonly interactive: boolean;
  /** A line of the answer. */
  line(text: string): void;
  /** A line of progress or a note, never part of the answer. */
  note(text: string): void;
  /** Redraws the last progress line (terminals only). */
  status(text: string): void;
}

export function consoleOutput(format: OutputFormat): Output {
  const interactive = Boolean(process.stderr.isTTY);
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) process.stderr.write("\r\x1b[2K");
    statusShown = false;
  };
  return {
    format,
    interactive,
    line: (text) => {
      clearStatus();
      process.stdout.write(`${text}\n`);
    },
    note: (text) => {
      clearStatus();
      process.stderr.write(`${text}\n`);
    },
    status: (text) => {
      if (!interactive) return;
      process.stderr.write(`\r\x1b[2K${text}`);
      statusShown = true;
    },
  };
}

/**
 * Prints an answer: as the API's JSON or YAML when asked, else through `text`, which prints it
 * for people.
 */
export function printResult(out: Output, value: unknown, text: () => void): void {
  if (out.format === "json") out.line(JSON.stringify(value, null, 2));
  else if (out.format === "yaml") out.line(stringify(value).trimEnd());
  else text();
}

/** Rows under a header, each column as wide as its widest cell. */
export function printTable(
  out: Output,
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  if (rows.length === 0) {
    out.note("(none)");
    return;
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  out.line(format(header));
  for (const row of rows) out.line(format(row));
}

/** `key: value` lines, for one object. */
export function printFields(out: Output, fields: readonly (readonly [string, unknown])[]): void {
  const width = Math.max(...fields.map(([key]) => key.length));
  for (const [key, value] of fields) {
    if (value === undefined) continue;
    out.line(`${`${key}:`.padEnd(width + 2)}${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
}
