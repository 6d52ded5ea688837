/**
 * The pods behind each backend, answered as DNS A records to Caddy's `a` dynamic upstreams.
 *
 * Loading a new configuration replaces Caddy's servers: their idle keep-alive connections are
 * closed (a client that sends on one at that instant sees the connection drop) and requests
 * waiting between retries give up. Pods come and go far more often than Ingresses change, so
 * their addresses do not go through `/load`: Caddy looks them up here, on loopback, at most once
 * a second per backend, and the configuration only changes when routes, ports or certificates do.
 */
import { createSocket, type Socket } from "node:dgram";
import type { RoutingTable } from "./routing.js";

/** Zone under which backend names live (`t<port>.p<port name>.<service>.<namespace>.<zone>`). */
export const UPSTREAM_ZONE = "upstreams.pluskube";

/** More A records than fit in the 1232-byte answer Go's resolver asks for: answer a rotating subset. */
export const MAX_ANSWERS = 64;

/** The name Caddy looks up for a backend's endpoints on one container port (fully qualified). */
export function upstreamHostname(upstreamName: string, port: number): string {
  return `t${port}.${upstreamName}.${UPSTREAM_ZONE}.`;
}

/** Every backend name (lower case, no final dot) and its endpoints' IPv4 addresses. */
export function upstreamRecords(table: RoutingTable): Map<string, string[]> {
  const records = new Map<string, string[]>();
  for (const host of table.hosts) {
    for (const route of host.paths) {
      if (route.upstreamName === undefined) continue;
      for (const dial of route.upstreams) {
        const [address = "", port = ""] = dial.split(":");
        const name = upstreamHostname(route.upstreamName, Number(port)).slice(0, -1).toLowerCase();
        const addresses = records.get(name) ?? [];
        if (!addresses.includes(address)) addresses.push(address);
        records.set(name, addresses);
      }
    }
  }
  return records;
}

const TYPE_A = 1;
const CLASS_IN = 1;
const RCODE = { noError: 0, formErr: 1, nxDomain: 3, notImp: 4, refused: 5 } as const;

interface Question {
  readonly name: string;
  readonly type: number;
  readonly klass: number;
  /** Offset just past the question in the query. */
  readonly end: number;
}

function readQuestion(query: Buffer): Question | undefined {
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = query[offset];
    if (length === undefined) return undefined;
    offset += 1;
    if (length === 0) break;
    // Queries carry no compression; anything else is malformed.
    if (length > 63 || offset + length > query.length) return undefined;
    labels.push(query.toString("latin1", offset, offset + length));
    offset += length;
  }
  if (offset + 4 > query.length) return undefined;
  return {
    name: labels.join(".").toLowerCase(),
    type: query.readUInt16BE(offset),
    klass: query.readUInt16BE(offset + 2),
    end: offset + 4,
  };
}

function reply(query: Buffer, rcode: number, question?: Question, addresses: readonly string[] = []): Buffer {
  const questionBytes = question === undefined ? Buffer.alloc(0) : query.subarray(12, question.end);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, opcode 0, AA, the query's RD; RA 0; rcode.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | rcode, 2);
  header.writeUInt16BE(question === undefined ? 0 : 1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((address) => {
    const answer = Buffer.alloc(16);
    answer.writeUInt16BE(0xc00c, 0); // the name of the question
    answer.writeUInt16BE(TYPE_A, 2);
    answer.writeUInt16BE(CLASS_IN, 4);
    answer.writeUInt32BE(0, 6); // TTL 0: the records change with the pods
    answer.writeUInt16BE(4, 10);
    address.split(".").forEach((octet, i) => answer.writeUInt8(Number(octet), 12 + i));
    return answer;
  });
  return Buffer.concat([header, questionBytes, ...answers]);
}

/**
 * The answer to one DNS query (UDP wire format), or undefined for a packet that is not a query.
 * Names under the zone get their A records (none for other types; NXDOMAIN when unknown); other
 * names are refused. `rotation` picks which subset to answer when there are over `MAX_ANSWERS`.
 */
export function answerQuery(
  query: Buffer,
  records: ReadonlyMap<string, readonly string[]>,
  rotation = 0,
): Buffer | undefined {
  if (query.length < 12 || (query.readUInt16BE(2) & 0x8000) !== 0) return undefined;
  const opcode = (query.readUInt16BE(2) >> 11) & 0x0f;
  if (opcode !== 0) return reply(query, RCODE.notImp);
  if (query.readUInt16BE(4) !== 1) return reply(query, RCODE.formErr);
  const question = readQuestion(query);
  if (question === undefined) return reply(query, RCODE.formErr);
  if (question.name !== UPSTREAM_ZONE && !question.name.endsWith(`.${UPSTREAM_ZONE}`)) {
    return reply(query, RCODE.refused, question);
  }
  const addresses = records.get(question.name);
  if (addresses === undefined) return reply(query, RCODE.nxDomain, question);
  if (question.type !== TYPE_A || question.klass !== CLASS_IN) return reply(query, RCODE.noError, question);
  const start = addresses.length > MAX_ANSWERS ? rotation % addresses.length : 0;
  const chosen = [...addresses.slice(start), ...addresses.slice(0, start)].slice(0, MAX_ANSWERS);
  return reply(query, RCODE.noError, question, chosen);
}

/** A running upstream DNS server. */
export interface UpstreamDns {
  close(): Promise<void>;
}

/** Serves `records()` (read at each query) over UDP on `host:port`. */
export function serveUpstreamDns(
  host: string,
  port: number,
  records: () => ReadonlyMap<string, readonly string[]>,
  log: (line: string) => void,
): Promise<UpstreamDns> {
  const socket: Socket = createSocket("udp4");
  let rotation = 0;
  socket.on("message", (query, peer) => {
    try {
      const answer = answerQuery(query, records(), rotation++);
      if (answer !== undefined) socket.send(answer, peer.port, peer.address);
    } catch (err) {
      log(`upstream dns: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", (err) => log(`upstream dns: ${err.message}`));
      resolve({ close: () => new Promise((done) => socket.close(() => done())) });
    });
  });
}
