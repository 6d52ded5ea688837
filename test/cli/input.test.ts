import { afterAll, beforeAll, expect, it } from "vitest";
import { pluskube, recordingServer } from "./run-cli.js";

let server: Awaited<ReturnType<typeof recordingServer>>;
beforeAll(async () => {
  server = await recordingServer();
});
afterAll(async () => server.close());

const env = () => ({ PLUSKUBE_ENDPOINT: server.url, PLUSKUBE_TOKEN: "pk_test", PLUSKUBE_PROJECT: "shop" });

it.each([
  [["run", "--image", "Not An Image"], /--image <image>.*must be an image reference such as nginx:1\.27/],
  [
    ["run", "--image", "nginx:1.27", "--memory", "12x"],
    /--memory <size>.*must be a size in bytes \(536870912\) or with a suffix/,
  ],
  [["run", "--image", "nginx:1.27", "--memory", "0"], /--memory <size>.*more than 0/],
  [["run", "--image", "nginx:1.27", "--disk", "9Pi"], /--disk <size>.*at most 4Pi/],
  [["run", "--image", "nginx:1.27", "--cpu", "-1"], /--cpu <cpus>.*positive number of CPUs/],
  [["run", "--image", "nginx:1.27", "--user", "0"], /--user <uid>.*from 1 to 2147483647/],
  [["run", "--image", "nginx:1.27", "--env", "1A=b"], /--env <NAME=VALUE>.*must be NAME=VALUE/],
  [
    ["run", "--image", "nginx:1.27", "--volume", "data"],
    /--volume <NAME:PATH\[:ro\]>.*VOLUME:\/absolute\/path/,
  ],
  [["run", "--image", "nginx:1.27", "--dir", "relative"], /--dir: must be an absolute path such as \/app/],
  [["run", "--image", "nginx:1.27", "--port", "70000"], /--port <port>.*from 1 to 65535/],
  [["run", "--image", "nginx:1.27", "--name", "Web_1"], /--name <name>.*lowercase letters, digits or '-'/],
  [["run", "--memory", "1Gi"], /required option '--image <image>' not specified/],
  [["apps", "scale", "web", "51"], /replicas.*from 0 to 50/],
  [["apps", "update", "web"], /nothing to change: give at least one of --image/],
  [["databases", "create", "main", "--size", "0"], /--size <GB>.*more than 0/],
  [
    ["databases", "create", "main", "--size", "1", "--connection-limit", "0"],
    /--connection-limit <n>.*from 1 to 500/,
  ],
  [["buckets", "create", "Media", "--size", "1"], /name.*lowercase letters/],
  [["volume", "create", "--name", "data", "--size", "lots"], /--size <size>.*must be a size in bytes/],
  [["volume", "create", "--size", "1Gi"], /--name: give the volume's name/],
  [
    ["vpc", "create", "--name", "net", "--cidr", "10.1.0.0/16"],
    /--cidr cannot be honoured: .*network policies/,
  ],
  [["logs", "web", "--since", "3w"], /--since <duration>.*30s, 10m, 2h or 1d/],
  [["logs", "web", "--tail", "0"], /--tail <lines>.*from 1 to 5000/],
  [["secret-env", "set", "web", "NOT-A-NAME"], /name.*letters, digits and '_'/],
  [
    ["projects", "list", "-o", "xml"],
    /option '-o, --output <format>' argument 'xml' is invalid\. Allowed choices are text, json, yaml/,
  ],
  [["completion", "fish"], /'fish' is invalid for argument 'shell'\. Allowed choices are bash, zsh/],
])("refuses %j before any request, naming what is allowed (exit 2)", async (args, message) => {
  const run = await pluskube(args, { env: env() });

  expect(run.stderr).toMatch(message);
  expect(run.code).toBe(2);
  expect(server.requests).toHaveLength(0);
});

it("refuses a command that needs a project when none is named (exit 2)", async () => {
  const run = await pluskube(["apps", "list"], {
    env: { PLUSKUBE_ENDPOINT: server.url, PLUSKUBE_TOKEN: "pk_test" },
  });

  expect(run.stderr).toMatch(
    /no project: give --project NAME, set PLUSKUBE_PROJECT, or log in with --project NAME/,
  );
  expect(run.code).toBe(2);
  expect(server.requests).toHaveLength(0);
});

it("refuses an endpoint that is not a URL, naming where it came from (exit 2)", async () => {
  const run = await pluskube(["projects", "list"], {
    env: { PLUSKUBE_ENDPOINT: "pluskube.example.org", PLUSKUBE_TOKEN: "pk" },
  });

  expect(run.stderr).toMatch(/PLUSKUBE_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
  expect(run.code).toBe(2);
});
