import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { parseProjectSpec } from "../../spec/project.js";
import { loadZoneFile } from "../../spec/zone.js";
import { projectSecretsFromConfig } from "../../stacks/project/secret-config.js";

/** A value no error message may repeat. */
const SECRET = "s3cr3t-value";
const lisbon = loadZoneFile(join(import.meta.dirname, "../../zones/lisbon.yaml"));
const spec = parseProjectSpec({
  project: "shop",
  zone: "lisbon",
  apps: [
    { name: "web", image: "ghcr.io/shop/web:1.4" },
    { name: "worker", image: "ghcr.io/shop/worker:1.4" },
  ],
});

/** Stack config of `pluskube-project` as the engine hands it over: every value a JSON text. */
function configWith(values: Record<string, unknown>): pulumi.Config {
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(values).map(([key, value]) => [
        `pluskube-project:${key}`,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    ),
    Object.keys(values).map((key) => `pluskube-project:${key}`),
  );
  return new pulumi.Config("pluskube-project");
}

const login = { username: "ci", password: SECRET };
const many = (count: number, make: (index: number) => [string, unknown]) =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => make(index)));

describe("projectSecretsFromConfig", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  it("reads no secret values from a stack that sets none", () => {
    expect(projectSecretsFromConfig(configWith({}), spec, lisbon)).toEqual({ env: {}, registries: [] });
  });

  it("reads the apps' secret variables and the registries' logins, registries by host", () => {
    const config = configWith({
      secretEnv: { web: { API_KEY: SECRET, DB_PASSWORD: "p2" }, worker: { TOKEN: "t3" } },
      registries: { "registry.example.org:5000": login, "ghcr.io": { username: "bot", password: "gh" } },
    });

    expect(projectSecretsFromConfig(config, spec, lisbon)).toEqual({
      env: { web: { API_KEY: SECRET, DB_PASSWORD: "p2" }, worker: { TOKEN: "t3" } },
      registries: [
        { server: "ghcr.io", username: "bot", password: "gh" },
        { server: "registry.example.org:5000", username: "ci", password: SECRET },
      ],
    });
  });

  it("takes a registry named by an address when the zone allows that address", () => {
    const config = configWith({ registries: { "10.20.0.5:5000": login } });

    expect(projectSecretsFromConfig(config, spec, lisbon).registries).toEqual([
      { server: "10.20.0.5:5000", ...login },
    ]);
  });

  it("names every problem of a key at once", () => {
    const config = configWith({ secretEnv: { web: { "1A": SECRET, PORT: 8080 } } });

    expect(() => projectSecretsFromConfig(config, spec, lisbon)).toThrow(
      /web\.1A: must be an environment variable name.*; web\.PORT: /,
    );
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "secretEnv that is no JSON object",
      { secretEnv: SECRET },
      /'secretEnv': \(root\): must be an object of apps/,
    ],
    ["secretEnv that is a list", { secretEnv: [SECRET] }, /'secretEnv': \(root\): must be an object/],
    [
      "a variable of an app the spec lacks",
      { secretEnv: { shop: { API_KEY: SECRET } } },
      /'secretEnv': shop: must be an app of the spec \(web, worker\)/,
    ],
    [
      "a name that is no environment variable",
      { secretEnv: { web: { "1API-KEY": SECRET } } },
      /'secretEnv': web\.1API-KEY: must be an environment variable name/,
    ],
    ["a value that is no string", { secretEnv: { web: { PORT: 8080 } } }, /'secretEnv': web\.PORT: .*string/],
    [
      "a value beyond the longest",
      { secretEnv: { web: { BIG: SECRET.repeat(3000) } } },
      /'secretEnv': web\.BIG: must be at most 32768 characters/,
    ],
    [
      "more variables than an app may have",
      { secretEnv: { web: many(101, (index) => [`V${index}`, SECRET]) } },
      /'secretEnv': web: must hold at most 100 secret variables/,
    ],
    [
      "registries that are no JSON object",
      { registries: `${SECRET}` },
      /'registries': \(root\): must be an object of registry hosts/,
    ],
    [
      "a registry without a password",
      { registries: { "ghcr.io": { username: SECRET } } },
      /'registries': ghcr\.io\.password: /,
    ],
    [
      "a registry login with an unknown field",
      { registries: { "ghcr.io": { ...login, email: SECRET } } },
      /'registries': ghcr\.io\.email: unknown field 'email'/,
    ],
    [
      "a registry that is no host",
      { registries: { "https://ghcr.io": login } },
      /'registries': https:\/\/ghcr\.io: must be a registry host as image references name it/,
    ],
    [
      "a registry named by an address the zone does not allow",
      { registries: { "127.0.0.1:5000": login } },
      /'registries': 127\.0\.0\.1:5000: is an address .*address registries: 10\.20\.0\.5:5000/,
    ],
    [
      "more registries than a project may have",
      { registries: many(11, (index) => [`r${index}.example.org`, login]) },
      /'registries': \(root\): must hold at most 10 registries/,
    ],
  ])("refuses %s, naming the key and what is allowed but not the value", (_, values, message) => {
    const config = configWith(values);

    let error: unknown;
    try {
      projectSecretsFromConfig(config, spec, lisbon);
    } catch (thrown) {
      error = thrown;
    }

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(SECRET);
  });
});
