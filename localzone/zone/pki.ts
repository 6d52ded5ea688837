import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The local zone's certificates and keys, made once with openssl and kept under `<zone>/pki`. */
export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  /** Signs service-account tokens (private half for the controller manager and the apiserver). */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  /**
   * The aggregation layer's own CA (`--requestheader-client-ca-file`): an extension API server
   * believes the user named in a request's headers only when the connection comes with a
   * certificate of this CA, which signs nothing but the API server's proxy client. A client
   * certificate of the zone CA therefore cannot pose as the front proxy.
   */
  readonly frontProxyCaCert: string;
  readonly frontProxyCaKey: string;
  /** The API server's client certificate towards extension API servers (`--proxy-client-*`). */
  readonly frontProxyClientCert: string;
  readonly frontProxyClientKey: string;
}

/** The CN of the front proxy's client certificate (`--requestheader-allowed-names`). */
export const FRONT_PROXY_CLIENT = "front-proxy-client";

export function pkiPaths(zoneDir: string): Pki {
  const dir = join(zoneDir, "pki");
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    apiserverCert: join(dir, "apiserver.crt"),
    apiserverKey: join(dir, "apiserver.key"),
    adminCert: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
    frontProxyCaCert: join(dir, "front-proxy-ca.crt"),
    frontProxyCaKey: join(dir, "front-proxy-ca.key"),
    frontProxyClientCert: join(dir, "front-proxy-client.crt"),
    frontProxyClientKey: join(dir, "front-proxy-client.key"),
  };
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA's certificate and key. */
interface Authority {
  readonly cert: string;
  readonly key: string;
}

function signedCert(
  pki: Pki,
  key: string,
  cert: string,
  subject: string,
  extensions: string,
  ca: Authority = { cert: pki.caCert, key: pki.caKey },
): void {
  const csr = `${cert}.csr`;
  const ext = `${cert}.ext`;
  openssl(["genrsa", "-out", key, "2048"], pki.dir);
  openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr], pki.dir);
  writeFileSync(ext, extensions);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-days",
      "3650",
      "-sha256",
      "-extfile",
      ext,
      "-out",
      cert,
    ],
    pki.dir,
  );
  chmodSync(key, 0o600);
}

/** A CA certificate and key of its own, valid for ten years. */
function selfSignedCa(pki: Pki, ca: Authority, subject: string): void {
  openssl(["genrsa", "-out", ca.key, "2048"], pki.dir);
  chmodSync(ca.key, 0o600);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      ca.key,
      "-subj",
      subject,
      "-days",
      "3650",
      "-sha256",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      ca.cert,
    ],
    pki.dir,
  );
}

/**
 * Creates whatever is missing: CA, apiserver serving cert, admin client cert, service-account
 * keys, the front proxy's CA and client cert. A zone made before one of them existed gets it on
 * its next start.
 */
export function ensurePki(zoneDir: string): Pki {
  const pki = pkiPaths(zoneDir);
  mkdirSync(pki.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(pki.caCert))
    selfSignedCa(pki, { cert: pki.caCert, key: pki.caKey }, "/CN=pluskube-local-ca");
  if (!existsSync(pki.apiserverCert)) {
    const names = [
      "localhost",
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      "kubernetes.default.svc.cluster.local",
    ];
    const san = [...names.map((n) => `DNS:${n}`), "IP:127.0.0.1", "IP:10.96.0.1"].join(",");
    signedCert(
      pki,
      pki.apiserverKey,
      pki.apiserverCert,
      "/CN=kube-apiserver",
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n` +
        `extendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    );
  }
  if (!existsSync(pki.adminCert)) {
    // system:masters: the zone's operator, the controllers and kwok all act as cluster admin.
    signedCert(
      pki,
      pki.adminKey,
      pki.adminCert,
      "/O=system:masters/CN=pluskube-admin",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
    );
  }
  if (!existsSync(pki.serviceAccountKey)) {
    openssl(["genrsa", "-out", pki.serviceAccountKey, "2048"], pki.dir);
    chmodSync(pki.serviceAccountKey, 0o600);
    openssl(["rsa", "-in", pki.serviceAccountKey, "-pubout", "-out", pki.serviceAccountPub], pki.dir);
  }
  const frontProxyCa = { cert: pki.frontProxyCaCert, key: pki.frontProxyCaKey };
  if (!existsSync(pki.frontProxyCaCert) || !existsSync(pki.frontProxyCaKey)) {
    selfSignedCa(pki, frontProxyCa, "/CN=pluskube-front-proxy-ca");
    // A client certificate of an earlier front proxy CA would no longer be believed.
    rmSync(pki.frontProxyClientCert, { force: true });
  }
  if (!existsSync(pki.frontProxyClientCert) || !existsSync(pki.frontProxyClientKey)) {
    signedCert(
      pki,
      pki.frontProxyClientKey,
      pki.frontProxyClientCert,
      `/CN=${FRONT_PROXY_CLIENT}`,
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
      frontProxyCa,
    );
  }
  return pki;
}

/** A certificate and its key, signed by the zone's CA. */
export interface Identity {
  readonly cert: string;
  readonly key: string;
}

/** What a certificate is for: authenticating a client to a server, or serving TLS. */
export type CertificateUse =
  | { readonly kind: "client" }
  | { readonly kind: "server"; readonly dnsNames: readonly string[]; readonly ips: readonly string[] };

/**
 * A certificate of the zone's CA kept as `<pki>/<name>.crt` and `.key`, made when missing or
 * when its subject no longer matches. Kubernetes takes a client's user from the CN and its
 * groups from the O entries of the subject (`/O=system:nodes/CN=system:node:NAME`).
 */
export function ensureCertificate(pki: Pki, name: string, subject: string, use: CertificateUse): Identity {
  const identity = { cert: join(pki.dir, `${name}.crt`), key: join(pki.dir, `${name}.key`) };
  if (
    existsSync(identity.cert) &&
    existsSync(identity.key) &&
    certificateSubject(identity.cert) === subject
  ) {
    return identity;
  }
  const base = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n";
  const extensions =
    use.kind === "client"
      ? `${base}extendedKeyUsage=clientAuth\n`
      : `${base}extendedKeyUsage=serverAuth\nsubjectAltName=${[
          ...use.dnsNames.map((n) => `DNS:${n}`),
          ...use.ips.map((ip) => `IP:${ip}`),
        ].join(",")}\n`;
  signedCert(pki, identity.key, identity.cert, subject, extensions);
  return identity;
}

/** The subject of a certificate in openssl's `-subj` form (`/O=a/CN=b`). */
function certificateSubject(cert: string): string {
  const text = execFileSync("openssl", ["x509", "-in", cert, "-noout", "-subject", "-nameopt", "compat"], {
    encoding: "utf8",
  });
  return text.replace(/^subject=\s*/, "").trim();
}

/**
 * Writes a kubeconfig with the certificates embedded, so it works from anywhere; it acts as the
 * zone's admin unless another identity is given.
 */
export function writeKubeconfig(
  file: string,
  pki: Pki,
  server: string,
  context: string,
  identity: Identity = { cert: pki.adminCert, key: pki.adminKey },
): void {
  const b64 = (path: string): string => readFileSync(path).toString("base64");
  const yaml = `apiVersion: v1
kind: Config
clusters:
  - name: ${context}
    cluster:
      server: ${server}
      certificate-authority-data: ${b64(pki.caCert)}
users:
  - name: ${context}-admin
    user:
      client-certificate-data: ${b64(identity.cert)}
      client-key-data: ${b64(identity.key)}
contexts:
  - name: ${context}
    context:
      cluster: ${context}
      user: ${context}-admin
current-context: ${context}
`;
  mkdirSync(dirname(file), { recursive: true });
  // Unchanged files stay untouched: the node's parts may watch theirs.
  if (!existsSync(file) || readFileSync(file, "utf8") !== yaml) writeFileSync(file, yaml, { mode: 0o600 });
  chmodSync(file, 0o600);
}
