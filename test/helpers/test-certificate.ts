import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate and its key, PEM. */
export interface TestCertificate {
  readonly certificatePem: string;
  readonly keyPem: string;
}

/** A throwaway self-signed P-256 certificate for `names` (made with openssl, as the zone's PKI is). */
export function testCertificate(names: readonly string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "pluskube-cert-"));
  try {
    const [first = "localhost"] = names;
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        `/CN=${first}`,
        "-addext",
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
        "-keyout",
        join(dir, "tls.key"),
        "-out",
        join(dir, "tls.crt"),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return {
      certificatePem: readFileSync(join(dir, "tls.crt"), "utf8"),
      keyPem: readFileSync(join(dir, "tls.key"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
