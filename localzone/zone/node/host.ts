import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Runs a host tool and returns its standard output; fails with its standard error. */
export function run(command: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      ...(input === undefined ? {} : { input }),
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

/** Runs a host tool; returns whether it succeeded, with its output. */
export function attempt(
  command: string,
  args: readonly string[],
  input?: string,
): { readonly ok: boolean; readonly stdout: string; readonly stderr: string } {
  const res = spawnSync(command, args, {
    encoding: "utf8",
    ...(input === undefined ? {} : { input }),
    maxBuffer: 64 * 1024 * 1024,
  });
  return { ok: res.status === 0, stdout: res.stdout ?? "", stderr: res.stderr ?? String(res.error ?? "") };
}

/** The Debian tools the node's host network needs, by the package that ships them. */
export const HOST_TOOLS = [
  { path: "/usr/sbin/ip", aptPackage: "iproute2" },
  { path: "/usr/sbin/iptables", aptPackage: "iptables" },
  { path: "/usr/sbin/ip6tables", aptPackage: "iptables" },
  { path: "/usr/sbin/iptables-save", aptPackage: "iptables" },
  { path: "/usr/sbin/ipset", aptPackage: "ipset" },
] as const;

/** Fails by name when a tool the node needs is missing (the toolchain installs them). */
export function requireHostTools(): void {
  const missing = HOST_TOOLS.filter((t) => !existsSync(t.path));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => t.aptPackage))];
    throw new Error(
      `the real node needs ${missing.map((t) => t.path).join(", ")}; ` +
        `install Debian's ${packages.join(", ")} (npm run toolchain -- ${packages.join(" ")})`,
    );
  }
}

function sysctlPath(name: string): string {
  return `/proc/sys/${name.replace(/\./g, "/")}`;
}

/** A kernel setting's value, or undefined when this kernel has no such setting. */
export function readSysctl(name: string): string | undefined {
  const path = sysctlPath(name);
  return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
}

export function writeSysctl(name: string, value: string): void {
  writeFileSync(sysctlPath(name), `${value}\n`);
}

/**
 * Writes a file only when its content differs: some of the node's parts watch their
 * configuration and exit when it is written (kube-proxy), even with the same content.
 */
export function writeFileIfChanged(file: string, content: string, mode = 0o644): boolean {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return false;
  writeFileSync(file, content, { mode });
  return true;
}
