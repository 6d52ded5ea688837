import { ensureToolchain } from "./toolchain.js";
import { ZONE_COMPONENTS } from "./toolchain/components.js";
import { zoneUp } from "./zone.js";

// Builds what the zone needs but is missing (cached after the first time), then starts it.
const toolchain = await ensureToolchain({ only: ZONE_COMPONENTS });
if (toolchain.failed.length > 0) {
  console.error(`zone:up: cannot start the zone, the toolchain failed: ${toolchain.failed.join(", ")}`);
  process.exit(1);
}
try {
  await zoneUp();
} catch (err) {
  console.error(`zone:up: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
