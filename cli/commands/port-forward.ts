import { createServer, type Socket } from "node:net";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { WebSocket, type RawData } from "ws";
import { withContext, type CommandContext } from "../context.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { integerIn } from "../input/flags.js";
import { segment } from "./options.js";

/** Where the local listener binds: an address and a port (0: any free one). */
interface Bind {
  readonly host: string;
  readonly port: number;
}

/** `PORT`, `ADDR:PORT` or `[v6]:PORT`. */
function parseBind(value: string): Bind {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+))?:?(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new InvalidArgumentError(
      "must be PORT or ADDRESS:PORT, such as 8080 or 127.0.0.1:8080 (0: any free port).",
    );
  }
  return { host: match[1] ?? match[2] ?? "127.0.0.1", port };
}

/**
 * Serves `bind` locally, each TCP connection tunnelled to `port` of a pod of `app` over the
 * service's port-forward WebSocket, until interrupted.
 */
async function serve(
  context: CommandContext,
  app: string,
  port: number,
  bind: Bind,
  pod?: string,
): Promise<void> {
  const { endpoint, token } = context.connection;
  const url = new URL(
    `${endpoint}/v1/projects/${segment(context.project)}/apps/${segment(app)}/port-forward`.replace(
      /^http/,
      "ws",
    ),
  );
  url.searchParams.set("port", String(port));
  if (pod) url.searchParams.set("pod", pod);
  const out = context.out;

  const tunnel = (socket: Socket) => {
    socket.pause();
    const ws = new WebSocket(url.toString(), { headers: { authorization: `Bearer ${token}` } });
    // The first reason a tunnel ends is the one reported; what follows from it is not.
    let ended = false;
    const closeBoth = () => {
      ended = true;
      socket.destroy();
      ws.terminate();
    };
    ws.on("open", () => {
      socket.on("data", (chunk: Buffer) => ws.send(chunk));
      socket.resume();
    });
    ws.on("message", (data: RawData) => {
      socket.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
    });
    ws.on("close", (code, reason) => {
      if (!ended && code !== 1000 && code !== 1005)
        out.note(`tunnel closed (${code}${reason.length ? `: ${reason.toString()}` : ""})`);
      closeBoth();
    });
    ws.on("unexpected-response", (_request, response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      ended = true;
      response.on("end", () => {
        let detail = `the service answered ${response.statusCode}`;
        try {
          detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
        } catch {
          // Not a problem document: the status says enough.
        }
        out.note(`error: port-forward to ${app}:${port} refused: ${detail}`);
        closeBoth();
      });
    });
    ws.on("error", (error) => {
      if (!ended) out.note(`error: port-forward to ${app}:${port}: ${error.message}`);
      closeBoth();
    });
    socket.on("close", () => ws.readyState === WebSocket.OPEN && ws.close(1000));
    socket.on("error", () => closeBoth());
  };

  const server = createServer(tunnel);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new CliError(
          `--bind: cannot listen on ${bind.host}:${bind.port}: ${error.message}`,
          ExitCode.failure,
        ),
      ),
    );
    server.listen(bind.port, bind.host, () => resolve());
  });
  const address = server.address();
  const local =
    typeof address === "object" && address ? `${address.address}:${address.port}` : String(address);
  out.line(`forwarding ${local} -> ${app}:${port}`);
  // Serves until the process is interrupted (main.ts exits with 130 then).
  await new Promise<never>(() => {});
}

/** `port-forward` and `local-remote serve`: a local port tunnelled to a port of an app's pod. */
export function registerPortForwardCommands(program: Command): void {
  program
    .command("port-forward")
    .description(
      "Serve a local port tunnelled to a port of one of an app's pods, until interrupted (user and deploy tokens)",
    )
    .argument("<app>", "the app")
    .requiredOption("--port <port>", "the pod's port", integerIn(1, 65_535))
    .option("--bind <[address:]port>", "where to listen (default: 127.0.0.1 and the same port)", parseBind)
    .option("--pod <pod>", "one pod of the app (default: a ready one)")
    .action(
      withContext<{ port: number; bind?: Bind; pod?: string }, [string]>(async (context, opts, app) =>
        serve(context, app, opts.port, opts.bind ?? { host: "127.0.0.1", port: opts.port }, opts.pod),
      ),
    );

  const localRemote = program
    .command("local-remote")
    .description(
      "cc's name for port-forward: local-remote serve --container-id APP --container-port N --bind ADDR:PORT",
    );
  localRemote
    .command("serve")
    .description("Serve a local port tunnelled to a port of an app (the same as port-forward)")
    .requiredOption("--container-id <app>", "the app")
    .requiredOption("--container-port <port>", "the app's port", integerIn(1, 65_535))
    .option("--bind <[address:]port>", "where to listen (default: 127.0.0.1 and the same port)", parseBind)
    .action(
      withContext<{ containerId: string; containerPort: number; bind?: Bind }>(async (context, opts) =>
        serve(
          context,
          opts.containerId,
          opts.containerPort,
          opts.bind ?? { host: "127.0.0.1", port: opts.containerPort },
        ),
      ),
    );
}
