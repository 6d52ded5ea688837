import { CliError, ExitCode, UsageError } from "../exit-codes.js";

/**
 * A secret read without it ever being an argument of a process: typed at a terminal without
 * echo, or piped on stdin (its last newline dropped).
 */
export async function readSecret(prompt: string, what: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
    if (!text) throw new UsageError(`no ${what} on stdin: pipe it in, or type it at a terminal`);
    return text;
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString("utf8")) {
        if (char === "\u0003") return done(new CliError("interrupted", ExitCode.interrupted));
        if (char === "\r" || char === "\n" || char === "\u0004") return done();
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}
