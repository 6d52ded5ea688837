/** Fixed names and loopback addresses of the local zone's ingress (one zone per machine). */

/** IngressClass whose Ingresses the local zone serves. */
export const INGRESS_CLASS = "pluskube";

/** `spec.controller` of that IngressClass. */
export const INGRESS_CONTROLLER = "pluskube.dev/ingress-caddy";

/** Address Caddy listens on and the controller publishes in Ingress status. */
export const INGRESS_ADDRESS = "127.0.0.1";

/**
 * Caddy's ports: plain HTTP, HTTPS (certificates from Ingress TLS secrets only), admin API; and
 * the controller's DNS (UDP) that tells Caddy the pods behind each backend.
 */
export const INGRESS_PORTS = { http: 18880, https: 18443, admin: 12019, upstreamDns: 12053 } as const;

/** Base URL of Caddy's admin API. */
export const CADDY_ADMIN_URL = `http://${INGRESS_ADDRESS}:${INGRESS_PORTS.admin}`;
