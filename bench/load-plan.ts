/** What B6 and its load generator (a process of its own) say to each other. */

/** What B6 asks of a load (argv[2], as JSON). */
export interface Plan {
  readonly url: string;
  readonly token: string;
  /** Paths by route name; requests cycle through the routes in order. */
  readonly routes: Record<string, readonly string[]>;
  readonly ratePerSecond: number;
  /** Sent at the rate first, not recorded (failures still count). */
  readonly leadInSeconds: number;
  /** Recorded, after the lead-in. */
  readonly seconds: number;
}

/** What a load gives back (stdout, as JSON). */
export interface LoadResult {
  /** Latencies of the answers with status 200, by route name, in ms from each scheduled send. */
  readonly latencies: Record<string, number[]>;
  /** Other answers and errors, by route name and status or message. */
  readonly failures: Record<string, number>;
  /** Seconds from the recorded part's start to its last answer. */
  readonly elapsed: number;
  /** Requests of the recorded part. */
  readonly sent: number;
  /** Each answered request of the recorded part: its scheduled send, in ms from that part's start, and its latency. */
  readonly timeline: [number, number][];
  /** When the recorded part started, in ms since the epoch. */
  readonly startedAt: number;
  /** The load generator's own CPU time over the recorded part. */
  readonly cpuSeconds: number;
}

/** The line the load generator writes on stderr when its lead-in ends and recording begins. */
export const RECORDING = "recording";
