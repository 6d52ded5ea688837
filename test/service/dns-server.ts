import dns2 from "dns2";

const { Packet } = dns2;

/** How the server answers: with its records, or not at all (a resolver that is down). */
export type DnsMode = "answer" | "silent";

/**
 * An authoritative DNS server on a loopback UDP port, started by a test: TXT records by name,
 * NXDOMAIN for any other name. The service's zone names it as its resolver, so the service's
 * own lookups (node:dns) are what the tests exercise.
 */
export class TestDnsServer {
  /** TXT values by name (lowercase, no trailing dot). */
  readonly txt = new Map<string, string[]>();
  mode: DnsMode = "answer";
  /** Names asked for, in order. */
  readonly asked: string[] = [];

  private constructor(
    private readonly server: ReturnType<typeof dns2.createServer>,
    /** `127.0.0.1:<port>`, as a zone's `domains.resolvers` names it. */
    readonly address: string,
  ) {}

  static async start(): Promise<TestDnsServer> {
    // The handler is made before the server it belongs to.
    const started: { server?: TestDnsServer } = {};
    const server = dns2.createServer({
      udp: true,
      handle: (request, send) => started.server?.handle(request, send),
    });
    await server.listen({ udp: { port: 0, address: "127.0.0.1" } });
    const port = server.addresses().udp?.port;
    if (!port) throw new Error("the test DNS server did not get a port");
    started.server = new TestDnsServer(server, `127.0.0.1:${port}`);
    return started.server;
  }

  /** Publishes (replacing) the TXT values at a name; no values removes the name. */
  publish(name: string, ...values: string[]): void {
    if (values.length === 0) this.txt.delete(name);
    else this.txt.set(name, values);
  }

  private handle(request: dns2.Packet, send: (response: dns2.Packet) => Promise<Buffer>): void {
    const [question] = request.questions;
    const name = (question?.name ?? "").toLowerCase().replace(/\.$/, "");
    this.asked.push(name);
    if (this.mode === "silent") return;
    const response = Packet.createResponseFromRequest(request);
    const values = this.txt.get(name);
    if (!values) {
      // NXDOMAIN: the name does not exist.
      response.header.rcode = 3;
    } else if (question?.type === Packet.TYPE.TXT) {
      for (const value of values) {
        response.answers.push(
          Packet.createResourceFromQuestion(question, { type: Packet.TYPE.TXT, ttl: 1, data: value }),
        );
      }
    }
    void send(response);
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
