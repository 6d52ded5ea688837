import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Bytes of an AES-256 key. */
export const SECRETS_KEY_BYTES = 32;
/** File in the data folder that holds the generated key of a single instance. */
export const SECRETS_KEY_FILE = "secrets.key";

const VERSION = "v1";

/**
 * Encrypts the members' secret values at rest with AES-256-GCM. Each value is bound to where it
 * belongs (`context`, such as `<project id>/<app>/<name>`): a ciphertext copied to another row
 * does not open there.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== SECRETS_KEY_BYTES) {
      throw new Error(`the secrets key must be ${SECRETS_KEY_BYTES} bytes, got ${key.length}`);
    }
    this.key = Buffer.from(key);
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, each base64url. */
  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, data] = sealed.split(".");
    if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) {
      throw new Error("a stored secret is not in a form this service reads");
    }
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  }
}

/** The key from its text form: 32 bytes as base64 (44 characters) or hex (64). */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== SECRETS_KEY_BYTES) {
    throw new Error(
      `PLUSKUBE_SECRETS_KEY must be ${SECRETS_KEY_BYTES} random bytes as base64 or hex (openssl rand -base64 32)`,
    );
  }
  return key;
}

/**
 * The key of a single instance: `<dataDir>/secrets.key`, generated with mode 0600 when absent.
 * Several instances share one key through PLUSKUBE_SECRETS_KEY instead.
 */
export function dataDirSecretsKey(dataDir: string): Buffer {
  const file = join(dataDir, SECRETS_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(SECRETS_KEY_BYTES).toString("base64")}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  }
  chmodSync(file, 0o600);
  return parseSecretsKey(readFileSync(file, "utf8"));
}
