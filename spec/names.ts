/**
 * Name rules shared by the ProjectSpec schema, the component validators and the policy pack,
 * so that every layer refuses the same inputs with the same words.
 */

/** RFC 1123 label: what Kubernetes accepts as a namespace or service name. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(value: string, maxLength = 63): boolean {
  return value.length > 0 && value.length <= maxLength && DNS_LABEL.test(value);
}

/** A fully qualified host name without wildcard, such as `shop.example.org`. */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.split(".");
  return labels.length >= 2 && labels.every((label) => isDnsLabel(label));
}

/** POSIX-style environment variable name. */
export function isEnvName(value: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(value);
}

const REGISTRY_HOST =
  /^(localhost|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+)(:\d{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/;

/** The parts of an OCI image reference, or `undefined` when the text is not one. */
export interface ImageReference {
  readonly registry: string | undefined;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** Parses `registry[:port]/path/name[:tag][@digest]` following the distribution reference grammar. */
export function parseImageReference(value: string): ImageReference | undefined {
  if (value.length === 0 || value.length > 512 || /\s/.test(value)) return undefined;
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split("/");
  let registry: string | undefined;
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!REGISTRY_HOST.test(first)) return undefined;
    registry = first;
    parts.shift();
  } else if (parts.length > 1 && first !== first.toLowerCase()) {
    // An uppercase first component can only be a (malformed) registry host.
    return undefined;
  }
  if (parts.length === 0 || !parts.every((part) => PATH_COMPONENT.test(part))) return undefined;
  return { registry, repository: parts.join("/"), tag, digest };
}

export const isImageReference = (value: string): boolean => parseImageReference(value) !== undefined;

/** The registry an image is pulled from; Docker Hub when the reference names none. */
export function imageRegistry(value: string): string | undefined {
  const parsed = parseImageReference(value);
  if (!parsed) return undefined;
  return parsed.registry ?? "docker.io";
}
