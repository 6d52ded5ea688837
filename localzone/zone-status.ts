import { zoneStatus } from "./zone.js";

const parts = await zoneStatus();
for (const part of parts) {
  const pid = part.pid === undefined ? "" : `pid ${part.pid}`;
  console.log(
    `${part.name.padEnd(24)}${(part.up ? "up" : "down").padEnd(6)}${pid.padEnd(12)}${part.detail ?? ""}`,
  );
  if (part.log) console.log(`${"".padEnd(42)}log ${part.log}`);
}
// Exit code 0 only when every part is up, so scripts can test it.
process.exitCode = parts.every((p) => p.up) ? 0 : 3;
