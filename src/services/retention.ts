/**
 * Retention of the D1 index, hourly and in bounded batches: events and deliveries past
 * EVENT_RETENTION_DAYS, failed receipts past it too, closed cases quiet that long, endpoint test
 * sends that old, and the activity counters past what the console shows. Each case object prunes
 * its own record on its alarm.
 */
import type { Config } from "../lib/config";
import { idFloor } from "../lib/ids";

const BATCH = 500;
/** Stop starting new batches after this long, well inside a cron invocation's limits. */
const BUDGET_MS = 20_000;
const DAY_MS = 86_400_000;

export async function enforceRetention(env: Env, now: number, config: Config): Promise<Record<string, number>> {
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
  // Events are keyed by customer: each customer's expired events are the front of its key range.
  const customers = await env.DB.prepare("SELECT id FROM customers").all<{ id: string }>();
  const floor = idFloor("evt", cutoff);
  counts.events = 0;
  for (const { id } of customers.results) {
    if (!budgetLeft()) break;
    await drain("events", () =>
      env.DB.prepare(`DELETE FROM events WHERE customer_id = ?1 AND id IN (SELECT id FROM events WHERE customer_id = ?1 AND id < ?2 LIMIT ${BATCH})`).bind(
        id,
        floor,
      ),
    );
  }
  await drain("deliveries", () =>
    env.DB.prepare(`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1 LIMIT ${BATCH})`).bind(idFloor("dlv", cutoff)),
  );
  await drain("failed_receipts", () =>
    env.DB.prepare(`DELETE FROM failed_receipts WHERE id IN (SELECT id FROM failed_receipts WHERE failed_at < ?1 LIMIT ${BATCH})`).bind(cutoff),
  );
  await drain("cases", () =>
    env.DB.prepare(
      `DELETE FROM cases WHERE (source_id, case_id) IN (SELECT source_id, case_id FROM cases WHERE terminal = 1 AND updated_at < ?1 LIMIT ${BATCH})`,
    ).bind(cutoff),
  );
  await drain("endpoint_tests", () =>
    env.DB.prepare(`DELETE FROM endpoint_tests WHERE id IN (SELECT id FROM endpoint_tests WHERE at < ?1 LIMIT ${BATCH})`).bind(cutoff),
  );
  await drain("source_days", () => env.DB.prepare(`DELETE FROM source_days WHERE day < ?1`).bind(now - 8 * DAY_MS));
  await drain("endpoint_hours", () => env.DB.prepare(`DELETE FROM endpoint_hours WHERE hour < ?1`).bind(now - 2 * DAY_MS));
  return counts;
}
