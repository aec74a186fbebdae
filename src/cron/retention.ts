/**
 * Retention, hourly, in bounded batches: receipt bodies after RECEIPT_BODY_RETENTION_DAYS; receipts
 * that produced no event after the dedupe window; events, their receipts and deliveries after
 * EVENT_RETENTION_DAYS (a forwarded receipt is the event's audit trail and lives as long as it).
 * Case rows stay: they carry the highest sequence of deleted events, so a case's numbering never
 * restarts.
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
  // Receipts before events: a receipt whose event is due for deletion goes with the event's cutoff.
  const receiptJobs: [string, D1PreparedStatement][] = [
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
  ];
  const laterJobs: [string, D1PreparedStatement][] = [
    ["deliveries", env.DB.prepare(`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1 LIMIT ${BATCH})`).bind(idFloor("dlv", eventCutoff))],
    ["spooled", env.DB.prepare(`DELETE FROM spooled_bodies WHERE created_at < ?1`).bind(now - SPOOL_RETENTION_MS)],
  ];
  const counts: Record<string, number> = {};
  const budgetLeft = () => Date.now() - started < BUDGET_MS;
  const runJob = async (name: string, batch: () => Promise<number>) => {
    counts[name] = 0;
    for (;;) {
      const n = await batch();
      counts[name] += n;
      if (n < BATCH || !budgetLeft()) break;
    }
  };
  const runStatement = ([name, stmt]: [string, D1PreparedStatement]) => runJob(name, async () => (await stmt.run()).meta.changes);
  for (const job of receiptJobs) await runStatement(job);
  // Events (oldest ids first), keeping each case's highest sequence on its case row.
  await runJob("events", () => deleteEventBatch(env.DB, idFloor("evt", eventCutoff)));
  for (const job of laterJobs) await runStatement(job);
  return counts;
}

async function deleteEventBatch(db: D1Database, before: string): Promise<number> {
  const batch = await db
    .prepare(`SELECT id, source_id, case_id, sequence FROM events WHERE id < ?1 ORDER BY id LIMIT ${BATCH}`)
    .bind(before)
    .all<{ id: string; source_id: string; case_id: string; sequence: number }>();
  const rows = batch.results;
  const last = rows.at(-1);
  if (!last) return 0;
  const highest = new Map<string, { sourceId: string; caseId: string; sequence: number }>();
  for (const r of rows) {
    const k = `${r.source_id}\u0000${r.case_id}`;
    if ((highest.get(k)?.sequence ?? -1) < r.sequence) highest.set(k, { sourceId: r.source_id, caseId: r.case_id, sequence: r.sequence });
  }
  await db.batch([
    ...[...highest.values()].map((h) =>
      db.prepare("UPDATE cases SET last_sequence = ?3 WHERE source_id = ?1 AND case_id = ?2 AND last_sequence < ?3").bind(h.sourceId, h.caseId, h.sequence),
    ),
    // Exactly the rows selected above: the oldest ids, up to the last one.
    db.prepare("DELETE FROM events WHERE id <= ?1").bind(last.id),
  ]);
  return rows.length;
}
