import pg from "pg";

/** Advisory-lock key space of stack locks (the first of the two 32-bit keys). */
const STACK_LOCK_SPACE = 0x706b; // "pk"

export interface StackLock {
  release(): Promise<void>;
}

/**
 * One running job per stack, across every service process: a session advisory lock held on a
 * dedicated connection for the length of the run. When a process dies its connections close and
 * PostgreSQL releases the lock, which is also how dead runs are told from live ones.
 */
export class StackLocks {
  private readonly pool: pg.Pool;

  constructor(connectionString: string, size: number) {
    this.pool = new pg.Pool({ connectionString, max: size });
    this.pool.on("error", () => {});
  }

  async tryLock(stack: string): Promise<StackLock | undefined> {
    const client = await this.pool.connect();
    // A held connection that the server ends (a restart, an administrator) emits an error that
    // nothing awaits; the lock is gone with it, and `release` then only discards the connection.
    let lost: Error | undefined;
    const onError = (error: Error): void => {
      lost = error;
    };
    client.on("error", onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "select pg_try_advisory_lock($1, hashtext($2)) as locked",
        [STACK_LOCK_SPACE, stack],
      );
      if (!rows[0]?.locked) {
        client.off("error", onError);
        client.release(lost);
        return undefined;
      }
    } catch (error) {
      client.off("error", onError);
      client.release(error as Error);
      throw error;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          if (lost) throw lost;
          await client.query("select pg_advisory_unlock($1, hashtext($2))", [STACK_LOCK_SPACE, stack]);
          client.off("error", onError);
          client.release();
        } catch (error) {
          // Destroying the connection releases the lock too.
          client.off("error", onError);
          client.release(error as Error);
        }
      },
    };
  }

  /** Whether some session holds the stack's lock right now. */
  async isHeld(stack: string): Promise<boolean> {
    const lock = await this.tryLock(stack);
    if (!lock) return true;
    await lock.release();
    return false;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
