import { zoneDown } from "./zone.js";

// `npm run zone:down -- --purge` also deletes the zone's data, keys and kubeconfig.
const purge = process.argv.includes("--purge");
try {
  await zoneDown({ purge });
} catch (err) {
  console.error(`zone:down: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
