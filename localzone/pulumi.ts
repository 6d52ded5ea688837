/**
 * `npm run pulumi -- ARGS` runs the locally built Pulumi CLI with the local zone's engine
 * environment (plugins from the cache, the local state backend and passphrase, the zone's
 * kubeconfig), in the folder the command was typed in: what an operator's own `pulumi` is on a
 * real zone.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { engineEnv } from "./engine-env.js";
import { toolchainPaths } from "./toolchain.js";

const { pulumi } = toolchainPaths();
if (!existsSync(pulumi)) {
  console.error(`pulumi: the CLI is not built yet (${pulumi}); run npm run toolchain -- pulumi`);
  process.exit(1);
}
const child = spawn(pulumi, process.argv.slice(2), {
  cwd: process.env["INIT_CWD"] ?? process.cwd(),
  env: engineEnv(),
  stdio: "inherit",
});
// Ctrl-C reaches the CLI through the terminal's process group; this process only waits for it.
process.on("SIGINT", () => undefined);
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
