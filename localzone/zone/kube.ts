import { readFileSync } from "node:fs";
import { request } from "node:https";
import { parse as parseYaml } from "yaml";

/** How to reach the zone's apiserver with the admin client certificate. */
export interface KubeAccess {
  readonly server: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface KubeResponse<T> {
  readonly status: number;
  readonly body: T;
}

interface KubeconfigFile {
  clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
  users?: { name: string; user: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  "current-context"?: string;
}

/** Reads a kubeconfig with embedded certificates (as the local zone writes it). */
export function kubeAccessFromKubeconfig(file: string, context?: string): KubeAccess {
  const config = parseYaml(readFileSync(file, "utf8")) as KubeconfigFile;
  const name = context ?? config["current-context"];
  const ctx = config.contexts?.find((c) => c.name === name)?.context;
  const cluster = config.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === ctx?.user)?.user;
  const ca = cluster?.["certificate-authority-data"];
  const cert = user?.["client-certificate-data"];
  const key = user?.["client-key-data"];
  if (!cluster || !ca || !cert || !key) {
    throw new Error(`${file}: context ${name ?? "(none)"} needs embedded CA, client certificate and key`);
  }
  const decode = (s: string): Buffer => Buffer.from(s, "base64");
  return { server: cluster.server, ca: decode(ca), cert: decode(cert), key: decode(key) };
}

/** One request to the Kubernetes API; JSON in, JSON (or text) out. */
export function kubeRequest<T = unknown>(
  access: KubeAccess,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<KubeResponse<T>> {
  const url = new URL(path, access.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: access.ca,
        cert: access.cert,
        key: access.key,
        timeout: 15_000,
        headers: {
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": contentType }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            // Plain text (e.g. /readyz).
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Creates an object, or leaves an existing one as it is (409 is fine). */
export async function ensureObject(
  access: KubeAccess,
  collectionPath: string,
  object: unknown,
): Promise<void> {
  const res = await kubeRequest(access, "POST", collectionPath, object);
  if (res.status !== 201 && res.status !== 200 && res.status !== 409) {
    throw new Error(`POST ${collectionPath}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** Server-side apply of one object (creates or updates it to match). */
export async function applyObject(access: KubeAccess, objectPath: string, object: unknown): Promise<void> {
  const res = await kubeRequest(
    access,
    "PATCH",
    `${objectPath}?fieldManager=pluskube-localzone&force=true`,
    object,
    "application/apply-patch+yaml",
  );
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`apply ${objectPath}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
