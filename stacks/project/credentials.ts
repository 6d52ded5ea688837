import type { AppSecretKeyEnv } from "../../components/app-claim/index.js";
import { BUCKET_SECRET_KEYS, bucketSecretName } from "../../components/object-bucket/index.js";
import { DATABASE_SECRET_KEYS, databaseSecretName } from "../../components/project-database/index.js";
import type { ClaimItem, ProjectSpec } from "../../spec/project.js";

/** `MAIN_` for the claim `main`, `USER_DATA_` for `user-data`: a prefix that is an env name's start. */
export function credentialPrefix(name: string): string {
  return `${name.toUpperCase().replace(/-/g, "_")}_`;
}

/** The names an app's `uses` picks from the project's items; all of them when it names none. */
function used(items: readonly { name: string }[], names: readonly string[] | undefined): string[] {
  const all = items.map((item) => item.name);
  return names === undefined ? all : all.filter((name) => names.includes(name));
}

/**
 * One variable per key of each used claim's Secret. With one claim of a kind its keys are the
 * variables as they are (`DATABASE_URL`, `PGHOST`, `AWS_ACCESS_KEY_ID`...); with several, each
 * claim's variables carry its name as a prefix (`MAIN_DATABASE_URL`, `MEDIA_S3_BUCKET`), so
 * that none shadows another.
 */
export function credentialEnv(spec: ProjectSpec, app: ClaimItem<"apps">): AppSecretKeyEnv[] {
  const kinds = [
    {
      names: used(spec.databases, app.uses.databases),
      keys: DATABASE_SECRET_KEYS,
      secret: databaseSecretName,
    },
    { names: used(spec.buckets, app.uses.buckets), keys: BUCKET_SECRET_KEYS, secret: bucketSecretName },
  ];
  return kinds.flatMap(({ names, keys, secret }) =>
    names.flatMap((name) =>
      keys.map((key) => ({
        name: names.length === 1 ? key : `${credentialPrefix(name)}${key}`,
        secretName: secret(name),
        key,
      })),
    ),
  );
}
