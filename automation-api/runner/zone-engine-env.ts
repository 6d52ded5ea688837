import { resolveZonePath, type ZoneSpec } from "../../spec/zone.js";

/**
 * The engine's environment for one zone's stacks: the zone's own kubeconfig when its zone file
 * names one. A zone that names none is reached with the ambient credentials of the service's
 * own environment (its `KUBECONFIG`, or the engine's in-cluster and default lookups), never
 * with another zone's: the local zone's kubeconfig in `base` must not leak into a real zone's
 * runs, where anything that falls back to the ambient cluster would land on the wrong one.
 */
export function zoneEngineEnv(
  base: Readonly<Record<string, string>>,
  zone: ZoneSpec,
  ambient: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env = { ...base };
  const kubeconfig = zone.kubeconfig ? resolveZonePath(zone.kubeconfig) : ambient["KUBECONFIG"];
  if (kubeconfig) env["KUBECONFIG"] = kubeconfig;
  else delete env["KUBECONFIG"];
  return env;
}
