import { createHash } from "node:crypto";

/** S3 bucket names are 3 to 63 characters. */
export const BUCKET_NAME_MAX = 63;

/**
 * Bucket name of a project's bucket: `<project>-<name>` (`shop` + `media` → `shop-media`).
 *
 * Bucket names are global to the zone's SeaweedFS, and `a-b` + `c` and `a` + `b-c` would both
 * read `a-b-c`. The plain form is therefore kept only when the bucket's own name has no `-`
 * (then the last `-` is the split, which makes the form one-to-one) and fits in 63 characters.
 * Otherwise the name is the readable form cut to fit, then `--` and 16 hex digits of SHA-256
 * over `<project>/<name>`. A plain form never ends in `--` + hex (a project name cannot end in
 * `-`), so the two forms cannot meet either.
 */
export function bucketName(project: string, name: string): string {
  const readable = `${project}-${name}`;
  if (!name.includes("-") && readable.length <= BUCKET_NAME_MAX) return readable;
  const hash = createHash("sha256").update(`${project}/${name}`).digest("hex").slice(0, 16);
  const room = BUCKET_NAME_MAX - hash.length - 2;
  return `${readable.slice(0, room).replace(/-+$/, "")}--${hash}`;
}

/**
 * Why S3 would refuse a bucket name, or `undefined` when it is a valid one: 3-63 characters of
 * lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`,
 * not an IP address, none of the reserved prefixes and suffixes.
 */
export function bucketNameProblem(value: string): string | undefined {
  if (value.length < 3 || value.length > BUCKET_NAME_MAX) return "must be 3 to 63 characters long";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(value)) {
    return "may hold only lowercase letters, digits, '.' and '-', starting and ending with a letter or digit";
  }
  if (value.includes("..")) return "must not hold two dots in a row";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return "must not look like an IP address";
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) {
    if (value.startsWith(prefix)) return `must not start with ${prefix}`;
  }
  for (const suffix of ["-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"]) {
    if (value.endsWith(suffix)) return `must not end with ${suffix}`;
  }
  return undefined;
}

/** Name of the Kubernetes Secret holding a bucket's endpoint and keys. */
export function bucketSecretName(name: string): string {
  return `bucket-${name}`;
}
