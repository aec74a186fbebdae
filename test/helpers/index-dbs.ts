/**
 * The events index as a test reads it: in every database INDEX_DATABASES names (the workers
 * project has two of its own, the deployed project uses DB: vitest.config.ts).
 */
import { env } from "cloudflare:workers";
import { indexShardOf } from "../../src/db/index-shards";
import { getConfig } from "../../src/lib/config";
import { timeOfId } from "../../src/lib/ids";

/** The index's D1 bindings as the platform gives them (spy on these, not on a counted wrapper). */
export const indexBindings = (): D1Database[] =>
  getConfig(env).indexDatabases.map((name) => (name === "DB" ? env.DB : (env as unknown as Record<string, D1Database>)[name]!));

/** The rows `sql` selects in each of the index's databases, together. */
export async function indexRows<T>(sql: string, ...binds: unknown[]): Promise<T[]> {
  const all = await Promise.all(
    indexBindings().map(
      async (db) =>
        (
          await db
            .prepare(sql)
            .bind(...binds)
            .all<T>()
        ).results,
    ),
  );
  return all.flat();
}

/** `SELECT count(*) AS n …` summed over the index's databases. */
export async function indexCount(sql: string, ...binds: unknown[]): Promise<number> {
  return (await indexRows<{ n: number }>(sql, ...binds)).reduce((a, r) => a + r.n, 0);
}

/** The binding that holds an event's row: its UTC day's (src/db/index-shards.ts). */
export const indexBindingOf = (eventId: string): D1Database => {
  const dbs = indexBindings();
  return dbs[indexShardOf(timeOfId(eventId), dbs.length)]!;
};

/** An event's index row, written where the relay writes it. */
export async function insertIndexedEvent(row: { customerId: string; id: string; sourceId: string; caseId?: string }): Promise<void> {
  await indexBindingOf(row.id)
    .prepare("INSERT INTO events (customer_id, id, source_id, case_id, sequence, type, status) VALUES (?1, ?2, ?3, ?4, 1, 'case.updated', 'pending')")
    .bind(row.customerId, row.id, row.sourceId, row.caseId ?? "c")
    .run();
}
