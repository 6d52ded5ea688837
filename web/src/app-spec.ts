import type { Issues } from "./problems.js";

/** What the form holds: text as typed, turned into an app spec only when submitted. */
export interface AppForm {
  name: string;
  image: string;
  sizing: "chunks" | "resources";
  chunks: string;
  cpu: string;
  memory: string;
  disk: string;
  replicas: string;
  port: string;
  env: string;
  volumes: string;
  customDomains: string;
  probePath: string;
  command: string;
}

export const EMPTY: AppForm = {
  name: "",
  image: "",
  sizing: "chunks",
  chunks: "1",
  cpu: "",
  memory: "",
  disk: "",
  replicas: "1",
  port: "8080",
  env: "",
  volumes: "",
  customDomains: "",
  probePath: "",
  command: "",
};

const lines = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** A number as typed: the typed text itself when it is not one, so the schema names the field. */
const numberOf = (text: string): unknown =>
  text.trim() === "" ? undefined : /^-?\d+$/.test(text.trim()) ? Number(text) : text;

/** The app spec the form describes, before validation (the schema judges every field). */
export function specOf(form: AppForm): Record<string, unknown> {
  const env: Record<string, string> = {};
  for (const line of lines(form.env)) {
    const at = line.indexOf("=");
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
    else env[line] = "";
  }
  const spec: Record<string, unknown> = {
    name: form.name,
    image: form.image.trim(),
    replicas: numberOf(form.replicas),
    port: numberOf(form.port),
    env,
    volumes: lines(form.volumes).map((line) => {
      const [volume = "", mountPath = ""] = line.split(":");
      return { volume, mountPath };
    }),
    customDomains: lines(form.customDomains),
  };
  if (form.sizing === "chunks") spec["chunks"] = numberOf(form.chunks);
  else {
    if (form.cpu.trim()) spec["cpu"] = form.cpu.trim();
    if (form.memory.trim()) spec["memory"] = form.memory.trim();
    if (form.disk.trim()) spec["disk"] = form.disk.trim();
  }
  if (form.probePath.trim()) spec["probe"] = { path: form.probePath.trim() };
  if (form.command.trim()) spec["command"] = form.command.trim().split(/\s+/);
  return spec;
}

export function formOf(spec: Record<string, unknown>): AppForm {
  const str = (value: unknown) => (value === undefined || value === null ? "" : String(value));
  const env = (spec["env"] ?? {}) as Record<string, string>;
  const volumes = (spec["volumes"] ?? []) as { volume: string; mountPath: string }[];
  const resources = spec["cpu"] !== undefined || spec["memory"] !== undefined || spec["disk"] !== undefined;
  return {
    name: str(spec["name"]),
    image: str(spec["image"]),
    sizing: resources ? "resources" : "chunks",
    chunks: str(spec["chunks"] ?? 1),
    cpu: str(spec["cpu"]),
    memory: str(spec["memory"]),
    disk: str(spec["disk"]),
    replicas: str(spec["replicas"] ?? 1),
    port: str(spec["port"] ?? 8080),
    env: Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join("\n"),
    volumes: volumes.map((mount) => `${mount.volume}:${mount.mountPath}`).join("\n"),
    customDomains: ((spec["customDomains"] ?? []) as string[]).join("\n"),
    probePath: str((spec["probe"] as { path?: string } | undefined)?.path),
    command: ((spec["command"] ?? []) as string[]).join(" "),
  };
}

/** Field issues under the form's own field names (`volumes.0.mountPath` → `volumes`). */
export function byField(issues: Issues): Issues {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(issues)) {
    const field = path.startsWith("probe") ? "probePath" : (path.split(".")[0] ?? "");
    const detail = field !== path && field !== "" ? `${path}: ${message}` : message;
    out[field] ??= detail;
  }
  return out;
}
