import { Resolver } from "node:dns/promises";
import { request } from "node:http";
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN } from "./network.js";

/** One plain-HTTP GET on loopback: the status and the body's start. */
export function httpGet(
  url: string,
  timeoutMs = 3000,
): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < 4096) chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Whether a GET answers 200. */
export async function answers200(url: string): Promise<boolean> {
  try {
    return (await httpGet(url)).status === 200;
  } catch {
    return false;
  }
}

/**
 * The addresses cluster DNS gives for the API server's Service name: proof that CoreDNS
 * answers on its address and reads Services from the API server.
 */
export async function clusterDnsAnswer(timeoutMs = 2000): Promise<string[]> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([CLUSTER_DNS_IP]);
  return resolver.resolve4(`kubernetes.default.svc.${CLUSTER_DOMAIN}`);
}
