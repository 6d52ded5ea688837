import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routingTable } from "../../../localzone/ingress/routing.js";
import {
  answerQuery,
  MAX_ANSWERS,
  serveUpstreamDns,
  upstreamHostname,
  upstreamRecords,
  type UpstreamDns,
} from "../../../localzone/ingress/upstream-dns.js";
import { endpoint, NS, slice, webApp } from "./fixtures.js";

/** A DNS query in wire format, as a stub resolver sends it (EDNS OPT record included). */
function query(name: string, type = 1, id = 0x1234): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
  const labels = name
    .replace(/\.$/, "")
    .split(".")
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const question = Buffer.concat([...labels, Buffer.from([0, type >> 8, type & 0xff, 0, 1])]);
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, question, opt]);
}

interface Parsed {
  readonly id: number;
  readonly flags: number;
  readonly rcode: number;
  readonly addresses: string[];
}

function parse(answer: Buffer | undefined): Parsed {
  if (answer === undefined) throw new Error("no answer");
  const count = answer.readUInt16BE(6);
  let offset = 12;
  if (answer.readUInt16BE(4) === 1) {
    while (answer[offset] !== 0) offset += (answer[offset] ?? 0) + 1;
    offset += 5;
  }
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    expect(answer.readUInt16BE(offset + 2)).toBe(1);
    addresses.push([...answer.subarray(offset + 12, offset + 16)].join("."));
    offset += 16;
  }
  expect(offset).toBe(answer.length);
  return {
    id: answer.readUInt16BE(0),
    flags: answer.readUInt16BE(2),
    rcode: answer.readUInt16BE(2) & 0xf,
    addresses,
  };
}

const NAME = `t8080.phttp.web.${NS}.upstreams.pluskube`;

describe("upstream records", () => {
  it("name each backend's pods by container port", () => {
    const app = webApp();
    const slices = [
      slice("web-a", "web", [endpoint("10.244.0.5"), endpoint("10.244.0.6")]),
      slice("web-b", "web", [endpoint("10.244.0.7")], [{ name: "http", port: 9090 }]),
    ];

    const records = upstreamRecords(routingTable({ ...app, endpointSlices: slices }, "pluskube"));

    expect(Object.fromEntries(records)).toEqual({
      [NAME]: ["10.244.0.5", "10.244.0.6"],
      [`t9090.phttp.web.${NS}.upstreams.pluskube`]: ["10.244.0.7"],
    });
    expect(upstreamHostname(`phttp.web.${NS}`, 8080)).toBe(`${NAME}.`);
  });

  it("have no name for a path without endpoints", () => {
    expect(upstreamRecords(routingTable({ ...webApp(), endpointSlices: [] }, "pluskube")).size).toBe(0);
  });
});

describe("answers", () => {
  const records = new Map([[NAME, ["10.244.0.5", "10.244.0.6"]]]);

  it("gives a backend's addresses as A records, echoing the id and the question", () => {
    const answer = parse(answerQuery(query(NAME), records));

    expect(answer).toMatchObject({ id: 0x1234, rcode: 0, addresses: ["10.244.0.5", "10.244.0.6"] });
    expect(answer.flags & 0x8000).toBe(0x8000);
  });

  it("matches names in any case", () => {
    expect(parse(answerQuery(query(NAME.toUpperCase()), records)).addresses).toEqual([
      "10.244.0.5",
      "10.244.0.6",
    ]);
  });

  it("says NXDOMAIN for an unknown backend, nothing for other record types, and refuses other zones", () => {
    expect(parse(answerQuery(query(`t1.p.x.y.upstreams.pluskube`), records)).rcode).toBe(3);
    expect(parse(answerQuery(query(NAME, 28), records))).toMatchObject({ rcode: 0, addresses: [] });
    expect(parse(answerQuery(query("example.com"), records)).rcode).toBe(5);
  });

  it("ignores answers and answers malformed queries with FORMERR", () => {
    const response = query(NAME);
    response.writeUInt16BE(0x8100, 2);

    expect(answerQuery(response, records)).toBeUndefined();
    expect(parse(answerQuery(query(NAME).subarray(0, 20), records)).rcode).toBe(1);
  });

  it("answers at most a rotating subset of a large backend, within 1232 bytes", () => {
    const many = Array.from({ length: 100 }, (_, i) => `10.244.${Math.floor(i / 200)}.${i + 1}`);
    const big = new Map([[NAME, many]]);

    const first = answerQuery(query(NAME), big, 0);
    const later = parse(answerQuery(query(NAME), big, 70));

    expect(parse(first).addresses).toHaveLength(MAX_ANSWERS);
    expect(first?.length).toBeLessThanOrEqual(1232);
    expect(later.addresses[0]).toBe(many[70]);
    expect(new Set(later.addresses).size).toBe(MAX_ANSWERS);
  });
});

describe("the server", () => {
  let server: UpstreamDns;
  let records = new Map([[NAME, ["10.244.0.5"]]]);
  let port = 0;

  beforeAll(async () => {
    // A free port: bind, read it, close, and serve there.
    const probe = await import("node:dgram").then((dgram) => dgram.createSocket("udp4"));
    port = await new Promise<number>((resolve) =>
      probe.bind(0, "127.0.0.1", () => resolve(probe.address().port)),
    );
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    server = await serveUpstreamDns(
      "127.0.0.1",
      port,
      () => records,
      () => undefined,
    );
  });

  afterAll(async () => server.close());

  it("answers a real resolver, from the records as they are at each query", async () => {
    const resolver = new Resolver();
    resolver.setServers([`127.0.0.1:${port}`]);

    const before = await resolver.resolve4(NAME);
    records = new Map([[NAME, ["10.244.0.8", "10.244.0.9"]]]);
    const after = await resolver.resolve4(NAME);

    expect(before).toEqual(["10.244.0.5"]);
    expect(after).toEqual(["10.244.0.8", "10.244.0.9"]);
    await expect(resolver.resolve4(`t1.p.x.y.upstreams.pluskube`)).rejects.toMatchObject({
      code: "ENOTFOUND",
    });
  });
});
