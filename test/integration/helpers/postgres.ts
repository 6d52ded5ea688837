import pg from "pg";

/** The error code PostgreSQL answers a connection or statement with, or "ok". */
export async function attempt(url: string, sql = "select 1"): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(sql);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
