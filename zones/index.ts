import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { loadZoneFile, type ZoneSpec } from "../spec/zone.js";

const ZONES_DIR = dirname(fileURLToPath(import.meta.url));

/** Path of the zone file in this folder; works from sources and from the compiled `dist/`. */
export function zoneFilePath(zone: string): string {
  const fromDist = ZONES_DIR.includes("/dist/") ? join(ZONES_DIR, "..", "..", "zones") : ZONES_DIR;
  return join(fromDist, `${zone}.yaml`);
}

export function loadZone(zone: string): ZoneSpec {
  return loadZoneFile(zoneFilePath(zone));
}
