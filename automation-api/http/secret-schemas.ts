import { z } from "zod";
import { RegistryLogin, secretValue } from "../../spec/secrets.js";

/** Answer of a reveal: the claim's variables as its Secret holds them at that moment. */
export const RevealedCredentials = z.object({
  kind: z.enum(["database", "bucket"]),
  name: z.string(),
  variables: z
    .record(z.string(), z.string())
    .describe(
      "The Secret's keys and values: DATABASE_URL and PG* for a database; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3, AWS_REGION and S3_BUCKET for a bucket",
    ),
  revealedAt: z.string().describe("When the reveal was recorded"),
});

/** One recorded reveal: who read which claim's credentials and when, never the credentials. */
export const CredentialReveal = z.object({
  id: z.string(),
  kind: z.enum(["database", "bucket"]),
  item: z.string().describe("The database's or bucket's name"),
  user: z.string(),
  tokenId: z.string().nullable().describe("The user token used; null once it is gone"),
  revealedAt: z.string(),
});

/** Body of `PUT .../secret-env/{name}`: the value, write-only. */
export const SecretValueBody = z.strictObject({ value: secretValue });

/** A secret variable as answers show it: its name and when it was set, never its value. */
export const SecretEnvEntry = z.object({
  name: z.string(),
  setAt: z.string(),
});

/** Body of `PUT .../registries/{server}`: write-only credentials of a private registry. */
export const RegistryCredentialBody = RegistryLogin;

/** A registry as answers show it: its server and when its credentials were set, never them. */
export const RegistryEntry = z.object({
  server: z.string(),
  setAt: z.string(),
});
