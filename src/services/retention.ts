/**
 * Retention of the D1 index, hourly and in bounded batches: events and deliveries past
 * EVENT_RETENTION_DAYS, failed receipts past it too, closed cases quiet that long, endpoint test
 * sends that old, and the activity counters past what the console shows. Each case object prunes
 * its own record on its alarm.
 */
import { caseObject } from "../case/client";
import { indexReadDatabases } from "../db/index-shards";
import type { SourceRow } from "../db/schema";
import type { Config } from "../lib/config";
import { idFloor } from "../lib/ids";

const BATCH = 500;
/** Stop starting new batches after this long, well inside a cron invocation's limits. */
const BUDGET_MS = 20_000;
const DAY_MS = 86_400_000;

/** Retention limited to one customer's rows (the bench's later clock runs it so); the cron's covers all. */
export type RetentionScope = { customerId: string };

export async function enforceRetention(env: Env, now: number, config: Config, scope?: RetentionScope): Promise<Record<string, number>> {
  const started = Date.now();
  const cutoff = now - config.eventRetentionMs;
  const counts: Record<string, number> = {};
  const budgetLeft = () => Date.now() - started < BUDGET_MS;
  const drain = async (name: string, stmt: () => D1PreparedStatement) => {
    counts[name] ??= 0;
    for (;;) {
      const n = (await stmt().run()).meta.changes;
      counts[name] += n;
      if (n < BATCH || !budgetLeft()) return;
    }
  };
  // Scoped, each statement's ?2 is the customer; rows without a customer column go by their owner's.
  const owned = (clause: string) => (scope ? ` AND ${clause}` : "");
  const bind = (sql: string, first: unknown) => (scope ? env.DB.prepare(sql).bind(first, scope.customerId) : env.DB.prepare(sql).bind(first));
  // Events are keyed by customer: each customer's expired events are the front of its key range.
  const customers = scope ? [{ id: scope.customerId }] : (await env.DB.prepare("SELECT id FROM customers").all<{ id: string }>()).results;
  const floor = idFloor("evt", cutoff);
  counts.events = 0;
  // In each of the index's databases (src/db/index-shards.ts), side by side; one that fails holds
  // back none of the rest, and the run reports it once the control plane's retention is done.
  const index = await Promise.allSettled(
    indexReadDatabases(env).map(async (db) => {
      for (const { id } of customers) {
        if (!budgetLeft()) break;
        await drain("events", () =>
          db
            .prepare(`DELETE FROM events WHERE customer_id = ?1 AND id IN (SELECT id FROM events WHERE customer_id = ?1 AND id < ?2 LIMIT ${BATCH})`)
            .bind(id, floor),
        );
      }
    }),
  );
  const byCustomer = owned("customer_id = ?2");
  await drain("deliveries", () =>
    bind(`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1${byCustomer} LIMIT ${BATCH})`, idFloor("dlv", cutoff)),
  );
  await drain("failed_receipts", () =>
    bind(`DELETE FROM failed_receipts WHERE id IN (SELECT id FROM failed_receipts WHERE failed_at < ?1${byCustomer} LIMIT ${BATCH})`, cutoff),
  );
  await drain("cases", () =>
    bind(
      `DELETE FROM cases WHERE (source_id, case_id) IN (SELECT source_id, case_id FROM cases WHERE terminal = 1 AND updated_at < ?1${byCustomer} LIMIT ${BATCH})`,
      cutoff,
    ),
  );
  await drain("endpoint_tests", () =>
    bind(`DELETE FROM endpoint_tests WHERE id IN (SELECT id FROM endpoint_tests WHERE at < ?1${byCustomer} LIMIT ${BATCH})`, cutoff),
  );
  await drain("source_days", () =>
    bind(`DELETE FROM source_days WHERE day < ?1${owned("source_id IN (SELECT id FROM sources WHERE customer_id = ?2)")}`, now - 8 * DAY_MS),
  );
  await drain("endpoint_hours", () =>
    bind(`DELETE FROM endpoint_hours WHERE hour < ?1${owned("endpoint_id IN (SELECT id FROM endpoints WHERE customer_id = ?2)")}`, now - 2 * DAY_MS),
  );
  const failed = index.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return counts;
}

/** How many case objects retention at a later clock runs in at once. */
const CASES_AT_ONCE = 8;

/**
 * Retention as the hourly cron and each case's alarm would run it at `at`, a later clock: the D1
 * index's for the source's customer (unless `index` is false), then the named cases' own (a case
 * never stored gets no storage). Outside production only (POST /bench/retention): what
 * `npm run bench` prices an event's deletes with.
 */
export async function runRetentionAt(
  env: Env,
  config: Config,
  source: SourceRow,
  at: number,
  caseIds: readonly string[],
  options: { index?: boolean } = {},
): Promise<{ index: Record<string, number>; receipts_deleted: number }> {
  if (config.environment === "production") throw new Error("retention at a later clock runs only outside production");
  const index = (options.index ?? true) ? await enforceRetention(env, at, config, { customerId: source.customerId }) : {};
  let receipts = 0;
  for (let i = 0; i < caseIds.length; i += CASES_AT_ONCE) {
    const deleted = await Promise.all(caseIds.slice(i, i + CASES_AT_ONCE).map((caseId) => caseObject(env, { sourceId: source.id, caseId }).retainAt(at)));
    receipts += deleted.reduce((a, b) => a + b, 0);
  }
  return { index, receipts_deleted: receipts };
}
