import type * as pulumi from "@pulumi/pulumi";
import { isDnsLabel } from "../../spec/names.js";
import { ArgumentProblems, isPlain } from "../validation.js";
import type { ObjectBucketArgs } from "./args.js";
import { bucketName, bucketNameProblem } from "./names.js";

const DNS_LABEL =
  "a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit)";

/** Largest bucket a project may ask for, as in the ProjectSpec schema. */
export const MAX_BUCKET_GB = 10_240;

/** Whether a value is an http(s) URL such as `http://127.0.0.1:8333`. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** Whether a value is `host:port`, as `weed shell -master` takes it. */
export function isHostPort(value: string): boolean {
  const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
}

/**
 * Checks an ObjectBucket's arguments before any child exists; throws one
 * `pulumi.ResourceError` naming every argument that is wrong and what is allowed.
 */
export function validateObjectBucketArgs(args: ObjectBucketArgs, resource?: pulumi.Resource): void {
  const problems = new ArgumentProblems();
  const projectOk = typeof args.project === "string" && isDnsLabel(args.project);
  const nameOk = typeof args.name === "string" && isDnsLabel(args.name, 40);
  if (!projectOk) problems.expect("project", `${DNS_LABEL}, at most 63 characters`, args.project);
  if (!nameOk) problems.expect("name", `${DNS_LABEL}, at most 40 characters`, args.name);
  if (projectOk && nameOk) {
    const bucket = bucketName(args.project, args.name);
    const problem = bucketNameProblem(bucket);
    if (problem) problems.add(`project ${args.project} gives the bucket name ${bucket}, which ${problem}`);
  }
  if (
    typeof args.sizeGB !== "number" ||
    !Number.isFinite(args.sizeGB) ||
    args.sizeGB <= 0 ||
    args.sizeGB > MAX_BUCKET_GB
  ) {
    problems.expect("sizeGB", `a number of GB more than 0 and at most ${MAX_BUCKET_GB}`, args.sizeGB);
  }
  if (args.namespace === undefined || (isPlain(args.namespace) && !isDnsLabel(args.namespace))) {
    problems.expect("namespace", DNS_LABEL, args.namespace);
  }
  for (const key of ["endpoint", "clusterEndpoint"] as const) {
    const value = args[key];
    if (key === "clusterEndpoint" && value === undefined) continue;
    if (value === undefined || (isPlain(value) && !isHttpUrl(value))) {
      problems.expect(key, "an http or https URL such as http://127.0.0.1:8333", value);
    }
  }
  if (args.region !== undefined && isPlain(args.region) && !/^[a-z0-9-]{1,64}$/.test(args.region)) {
    problems.expect("region", "a region name such as us-east-1", args.region);
  }
  for (const key of ["adminAccessKeyId", "adminSecretAccessKey"] as const) {
    const value = args[key];
    if (value === undefined || (isPlain(value) && (typeof value !== "string" || value.length === 0))) {
      // The value itself may be a credential: say what is wrong without showing it.
      problems.add(
        `${key} must be the SeaweedFS administrator's non-empty key, got ${value === undefined ? "nothing" : "an empty or non-text value"}`,
      );
    }
  }
  if (args.shellMaster !== undefined && isPlain(args.shellMaster) && !isHostPort(args.shellMaster)) {
    problems.expect("shellMaster", "a master address host:port such as 127.0.0.1:9333", args.shellMaster);
  }
  if (
    args.weedPath !== undefined &&
    isPlain(args.weedPath) &&
    (typeof args.weedPath !== "string" || args.weedPath.trim().length === 0)
  ) {
    problems.expect("weedPath", "the path of the weed binary, or weed to find it on PATH", args.weedPath);
  }
  problems.throwIfAny("ObjectBucket", resource);
}
