/**
 * The project stack's program (`pluskube-project`, one stack `<project>.<zone>` per project per
 * zone), for operators who keep ProjectSpecs in git. The service runs `composeProject` inline.
 */
import * as pulumi from "@pulumi/pulumi";
import { composeProject, type ProjectOutputs } from "./compose.js";
import { projectStackInputs } from "./config.js";

const { spec, zone, secrets } = projectStackInputs(new pulumi.Config());
const outputs = composeProject(spec, zone, secrets);

export const namespace = outputs.namespace;
export const appUrls = outputs.appUrls;
export const appAllUrls = outputs.appAllUrls;
export const databaseSecrets = outputs.databaseSecrets;
export const bucketSecrets = outputs.bucketSecrets;
export const volumeClaims = outputs.volumeClaims;

// A stack's outputs are this module's exports, which cannot be listed from the registry: the
// compiler holds this list to every output composeProject makes.
const exported = {
  namespace,
  appUrls,
  appAllUrls,
  databaseSecrets,
  bucketSecrets,
  volumeClaims,
} satisfies Record<keyof ProjectOutputs, unknown>;
void exported;
