import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ZoneSpec } from "../../spec/zone.js";
import { loadZone, zoneFilePath } from "../../zones/index.js";

/** The zones the service offers. Tests hand in their own; `main.ts` reads `zones/*.yaml`. */
export interface ZoneCatalog {
  list(): readonly ZoneSpec[];
  get(name: string): ZoneSpec | undefined;
}

export function staticZones(zones: readonly ZoneSpec[]): ZoneCatalog {
  const byName = new Map(zones.map((zone) => [zone.name, zone]));
  return {
    list: () => [...byName.values()],
    get: (name) => byName.get(name),
  };
}

/** Every `zones/<name>.yaml`, read once. */
export function zonesFromFiles(): ZoneCatalog {
  const dir = dirname(zoneFilePath("local"));
  const names = readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .map((file) => file.slice(0, -".yaml".length))
    .sort();
  return staticZones(names.map((name) => loadZone(name)));
}
