/**
 * The events index as a test reads it: in every database INDEX_DATABASES names (the workers
 * project has two of its own, the deployed project uses DB: vitest.config.ts).
 */
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { indexShardOf } from "../../src/db/index-shards";
import { getConfig } from "../../src/lib/config";
import { timeOfId } from "../../src/lib/ids";

const bindingOf = (name: string) => (name === "DB" ? env.DB : (env as unknown as Record<string, D1Database>)[name]!);

/** The index's D1 bindings as the platform gives them (spy on these, not on a counted wrapper): those written, then the retired. */
export const indexBindings = (): D1Database[] => {
  const config = getConfig(env);
  return [...config.indexDatabases, ...config.indexRetiredDatabases].map(bindingOf);
};

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
  const dbs = getConfig(env).indexDatabases.map(bindingOf);
  return dbs[indexShardOf(timeOfId(eventId), dbs.length)]!;
};

/** An event's index row, written where the relay writes it. */
export async function insertIndexedEvent(row: { customerId: string; id: string; sourceId: string; caseId?: string }): Promise<void> {
  await indexBindingOf(row.id)
    .prepare("INSERT INTO events (customer_id, id, source_id, case_id, sequence, type, status) VALUES (?1, ?2, ?3, ?4, 1, 'case.updated', 'pending')")
    .bind(row.customerId, row.id, row.sourceId, row.caseId ?? "c")
    .run();
}

/**
 * Makes the index's databases fail the batches that write event rows while `fail()` says so
 * (called once per such batch); returns how many failed. Restored by vi.restoreAllMocks().
 */
export function failEventWrites(fail: (n: number) => boolean): { failed: number } {
  const counts = { failed: 0, seen: 0 };
  for (const db of indexBindings()) {
    const realBatch = db.batch.bind(db);
    vi.spyOn(db, "batch").mockImplementation(async (stmts) => {
      if (stmts.some((st) => String((st as unknown as { statement: string }).statement).startsWith("INSERT INTO events")) && fail(++counts.seen)) {
        counts.failed++;
        throw new Error("D1_ERROR: simulated outage");
      }
      return realBatch(stmts);
    });
  }
  return counts;
}
