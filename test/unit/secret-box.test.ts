import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dataDirSecretsKey, parseSecretsKey, SecretBox } from "../../automation-api/domain/secret-box.js";

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));

  it("opens what it sealed, in the same context", () => {
    expect(box.open(box.seal("value", "a/b"), "a/b")).toBe("value");
  });

  it("never holds the value in plain text, and seals the same value differently each time", () => {
    const sealed = box.seal("value", "a/b");
    expect(sealed).not.toContain("value");
    expect(box.seal("value", "a/b")).not.toBe(sealed);
  });

  it("refuses to open a value in another context", () => {
    expect(() => box.open(box.seal("value", "a/b"), "a/c")).toThrow();
  });

  it("refuses to open with another key", () => {
    expect(() => new SecretBox(randomBytes(32)).open(box.seal("value", "a/b"), "a/b")).toThrow();
  });

  it.each([["short"], [randomBytes(16).toString("base64")]])("refuses the key %s", (text) => {
    expect(() => parseSecretsKey(text)).toThrow(/PLUSKUBE_SECRETS_KEY must be 32 random bytes/);
  });

  it("reads a key as base64 or hex", () => {
    const key = randomBytes(32);
    expect(parseSecretsKey(key.toString("base64"))).toEqual(key);
    expect(parseSecretsKey(key.toString("hex"))).toEqual(key);
  });

  it("generates a data folder's key once, readable by its owner only", () => {
    const dir = mkdtempSync(join(tmpdir(), "pluskube-key-"));
    const first = dataDirSecretsKey(dir);
    const again = dataDirSecretsKey(dir);

    expect(again).toEqual(first);
    expect(statSync(join(dir, "secrets.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "secrets.key"), "utf8").trim()).toBe(first.toString("base64"));
  });
});
