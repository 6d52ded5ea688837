/**
 * The zone stack's program (`pluskube-zone`, one stack per zone). The zone comes from the config
 * path `zoneFile`, else from `zones/<zone>.yaml` where `zone` defaults to the stack's name.
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { resolveZonePath, loadZoneFile } from "../../spec/zone.js";
import { loadZone } from "../../zones/index.js";
import { composeZone } from "./compose.js";

const config = new pulumi.Config();
const zoneFile = config.get("zoneFile");
const zone =
  zoneFile !== undefined
    ? loadZoneFile(resolve(resolveZonePath(zoneFile)))
    : loadZone(config.get("zone") ?? pulumi.getStack());
const outputs = composeZone(zone);

export const platformNamespace = outputs.platformNamespace;
export const settingsConfigMap = outputs.settingsConfigMap;
export const tenantPriorityClass = outputs.tenantPriorityClass;
export const runtimeClass = outputs.runtimeClass;
