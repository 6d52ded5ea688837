/**
 * The pack as the engine meets it: `policy/index.ts` starts the policy SDK's gRPC server, and a
 * client makes the calls the engine makes (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack).
 * No engine is involved; this proves the rules work behind the SDK's own server, its type
 * matching, its deserialisation, its config handling and its preview handling.
 */
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { policyConfigFor } from "../../policy/config.js";
import { GIB } from "../../spec/quantity.js";
import {
  BASE_DOMAIN,
  container,
  deployment,
  namespace,
  networkPolicy,
  NAMESPACE,
  podSpec,
  securityContext,
  VERIFIED_DOMAIN,
} from "./fixtures.js";
import { UNKNOWN, type FakeResource } from "./harness.js";

const require = createRequire(import.meta.url);

interface Message {
  [setter: string]: unknown;
}
type MessageClass = new () => Message;
type Call = (request: unknown, callback: (error: Error | null, response: Message) => void) => void;

const grpc = require("@grpc/grpc-js") as {
  credentials: { createInsecure(): unknown };
};
const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
  AnalyzerClient: new (address: string, credentials: unknown) => Record<string, Call> & { close(): void };
};
const pb = require("@pulumi/pulumi/proto/analyzer_pb") as Record<
  | "AnalyzeRequest"
  | "AnalyzeStackRequest"
  | "AnalyzerResource"
  | "AnalyzerResourceOptions"
  | "ConfigureAnalyzerRequest"
  | "PolicyConfig",
  MessageClass
> & {
  EnforcementLevel: Record<string, number>;
  PolicyType: Record<string, number>;
};
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: object): unknown };
};
const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: MessageClass };

function message(Class: MessageClass, fields: Record<string, unknown>): Message {
  const instance = new Class();
  for (const [setter, value] of Object.entries(fields))
    (instance[setter] as (v: unknown) => void).call(instance, value);
  return instance;
}

function get<T>(instance: Message, getter: string): T {
  return (instance[getter] as () => T).call(instance);
}

interface Diagnostic {
  readonly policyName: string;
  readonly message: string;
  readonly enforcementLevel: number;
}

let client: Record<string, Call> & { close(): void };

function call(method: string, request: Message): Promise<Message> {
  return new Promise((resolve, reject) =>
    client[method]?.(request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

function resourceFields(resource: FakeResource): Record<string, unknown> {
  return {
    setType: resource.type,
    setName: resource.name,
    setUrn: `urn:pulumi:shop.local::pluskube-project::${resource.type}::${resource.name}`,
    setProperties: Struct.fromJavaScript(JSON.parse(JSON.stringify(resource.props)) as object),
    setOptions: new pb.AnalyzerResourceOptions(),
  };
}

function diagnostics(response: Message): Diagnostic[] {
  return get<Message[]>(response, "getDiagnosticsList").map((d) => ({
    policyName: get<string>(d, "getPolicyname"),
    message: get<string>(d, "getMessage"),
    enforcementLevel: get<number>(d, "getEnforcementlevel"),
  }));
}

async function analyze(resource: FakeResource): Promise<Diagnostic[]> {
  return diagnostics(await call("analyze", message(pb.AnalyzeRequest, resourceFields(resource))));
}

async function analyzeStack(resources: FakeResource[]): Promise<Diagnostic[]> {
  const list = resources.map((resource) => message(pb.AnalyzerResource, resourceFields(resource)));
  return diagnostics(await call("analyzeStack", message(pb.AnalyzeStackRequest, { setResourcesList: list })));
}

describe("the pack behind the policy SDK's server", () => {
  beforeAll(async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    await import("../../policy/index.js");
    await vi.waitFor(() => expect(log).toHaveBeenCalled(), { timeout: 10_000 });
    const port = String(log.mock.calls[0]?.[0]);
    log.mockRestore();
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

    const configure = new pb.ConfigureAnalyzerRequest();
    const configs = get<Map<string, Message>>(configure, "getPolicyconfigMap");
    const pack = policyConfigFor({
      namespace: NAMESPACE,
      share: { cpuMillis: 1000, memoryBytes: 4 * GIB, storageBytes: 10 * GIB },
      baseDomain: BASE_DOMAIN,
      verifiedDomains: [VERIFIED_DOMAIN],
    });
    for (const [rule, config] of Object.entries(pack)) {
      configs.set(
        rule,
        message(pb.PolicyConfig, {
          setEnforcementlevel: pb.EnforcementLevel.MANDATORY,
          setProperties: Struct.fromJavaScript(config),
        }),
      );
    }
    await call("configure", configure);
  });

  afterAll(() => client?.close());

  it("names itself pluskube and lists its rules, mandatory, with their kinds", async () => {
    const info = await call("getAnalyzerInfo", new Empty());
    const rules = get<Message[]>(info, "getPoliciesList").map((p) => [
      get<string>(p, "getName"),
      get<number>(p, "getEnforcementlevel"),
      get<number>(p, "getPolicyType"),
    ]);

    expect(get<string>(info, "getName")).toBe("pluskube");
    expect(rules).toContainEqual([
      "tenant-quota",
      pb.EnforcementLevel.MANDATORY,
      pb.PolicyType.POLICY_TYPE_STACK,
    ]);
    expect(rules).toContainEqual([
      "pod-security-restricted",
      pb.EnforcementLevel.MANDATORY,
      pb.PolicyType.POLICY_TYPE_RESOURCE,
    ]);
    expect(rules).toHaveLength(8);
  });

  it("accepts a restricted Deployment in the project's namespace", async () => {
    expect(await analyze(deployment())).toEqual([]);
  });

  it("refuses a privileged Deployment, naming the field, as mandatory", async () => {
    const spec = podSpec({
      containers: [container({ securityContext: securityContext({ privileged: true }) })],
    });

    expect(await analyze(deployment({ spec }))).toEqual([
      {
        policyName: "pod-security-restricted",
        message: expect.stringContaining(
          "spec.template.spec.containers[0].securityContext.privileged must be false",
        ),
        enforcementLevel: pb.EnforcementLevel.MANDATORY,
      },
    ]);
  });

  it("applies the namespace from the pack's config", async () => {
    const elsewhere = deployment();
    (elsewhere.props as { metadata: { namespace: string } }).metadata.namespace = "other";

    expect((await analyze(elsewhere)).map((d) => d.policyName)).toEqual(["namespace-confinement"]);
  });

  it("refuses an Ingress host of another domain", async () => {
    const ingress: FakeResource = {
      type: "kubernetes:networking.k8s.io/v1:Ingress",
      name: "web-ingress",
      props: {
        metadata: { name: "web", namespace: NAMESPACE },
        spec: {
          rules: [{ host: "bank.example.com" }],
          tls: [{ hosts: ["bank.example.com"], secretName: "t" }],
        },
      },
    };

    const found = await analyze(ingress);

    expect(found.map((d) => d.policyName)).toEqual(["ingress-hosts", "ingress-hosts"]);
    expect(found[0]?.message).toContain(
      `spec.rules[0].host 'bank.example.com' is neither one label under ${BASE_DOMAIN}`,
    );
  });

  it("refuses a stack over its share", async () => {
    const found = await analyzeStack([namespace(), networkPolicy(), deployment({ replicas: 5 })]);

    expect(found).toEqual([
      {
        policyName: "tenant-quota",
        message: expect.stringContaining(
          "the stack exceeds the project's share in cpu (used 1250m, share 1)",
        ),
        enforcementLevel: pb.EnforcementLevel.MANDATORY,
      },
    ]);
  });

  it("reports a quota it cannot count during preview as advisory, not as a violation", async () => {
    const web = deployment();
    (web.props as { spec: { replicas: unknown } }).spec.replicas = UNKNOWN.number;

    const found = await analyzeStack([namespace(), networkPolicy(), web]);

    expect(found).toEqual([
      {
        policyName: "tenant-quota",
        message: expect.stringMatching(
          /can't run policy 'tenant-quota' .* during preview: counted .* not counted: Deployment web \(spec\.replicas\)/,
        ),
        enforcementLevel: pb.EnforcementLevel.ADVISORY,
      },
    ]);
  });

  it("refuses a namespace without a default-deny policy", async () => {
    const found = await analyzeStack([namespace(), deployment()]);

    expect(found.map((d) => d.policyName)).toEqual(["network-isolation"]);
  });
});
