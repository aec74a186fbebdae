/**
 * Retention, hourly, in bounded batches: receipt bodies after RECEIPT_BODY_RETENTION_DAYS; receipts
 * that produced no event after the dedupe window; events, their receipts and deliveries after
 * EVENT_RETENTION_DAYS (a forwarded receipt is the event's audit trail and lives as long as it).
 */
import type { Config } from "../lib/config";
import { idFloor } from "../lib/ids";

const BATCH = 500;
/** Stop starting new batches after this long, well inside a cron invocation's limits. */
const BUDGET_MS = 20_000;
const SPOOL_RETENTION_MS = 86_400_000;

export async function enforceRetention(env: Env, now: number, config: Config): Promise<Record<string, number>> {
  const started = Date.now();
  const eventCutoff = now - config.eventRetentionMs;
  const jobs: [string, D1PreparedStatement][] = [
    [
      "bodies",
      env.DB.prepare(
        `UPDATE receipts SET body = NULL WHERE (source_id, case_id, dedupe_key) IN
           (SELECT source_id, case_id, dedupe_key FROM receipts WHERE body IS NOT NULL AND received_at < ?1 LIMIT ${BATCH})`,
      ).bind(now - config.bodyRetentionMs),
    ],
    [
      "receipts_without_event",
      env.DB.prepare(
        `DELETE FROM receipts WHERE (source_id, case_id, dedupe_key) IN
           (SELECT source_id, case_id, dedupe_key FROM receipts r WHERE received_at < ?1
              AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = 'evt_' || substr(r.id, 5)) LIMIT ${BATCH})`,
      ).bind(now - config.dedupeWindowMs),
    ],
    [
      "receipts",
      env.DB.prepare(
        `DELETE FROM receipts WHERE (source_id, case_id, dedupe_key) IN
           (SELECT source_id, case_id, dedupe_key FROM receipts WHERE received_at < ?1 LIMIT ${BATCH})`,
      ).bind(eventCutoff),
    ],
    ["events", env.DB.prepare(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ?1 LIMIT ${BATCH})`).bind(idFloor("evt", eventCutoff))],
    ["deliveries", env.DB.prepare(`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1 LIMIT ${BATCH})`).bind(idFloor("dlv", eventCutoff))],
    [
      "cases",
      env.DB.prepare(
        `DELETE FROM cases WHERE (source_id, case_id) IN (SELECT source_id, case_id FROM cases WHERE terminal = 1 AND updated_at < ?1 LIMIT ${BATCH})`,
      ).bind(eventCutoff),
    ],
    ["spooled", env.DB.prepare(`DELETE FROM spooled_bodies WHERE created_at < ?1`).bind(now - SPOOL_RETENTION_MS)],
  ];
  const counts: Record<string, number> = {};
  for (const [name, stmt] of jobs) {
    counts[name] = 0;
    for (;;) {
      const { meta } = await stmt.run();
      counts[name] += meta.changes;
      if (meta.changes < BATCH || Date.now() - started > BUDGET_MS) break;
    }
  }
  return counts;
}
