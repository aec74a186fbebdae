/**
 * Reconcile: open cases due for a check (oldest first, bounded per run) go to their case object,
 * which refetches a case quiet for its source's reconcile_after_seconds and forwards a `reconcile`
 * event only if the state changed. A case whose refetch keeps failing backs off exponentially and,
 * past MAX_FAILURES, is flagged (`reconcile_error`) and left alone until a webhook gets through.
 */
import { caseObject } from "../case/client";
import { caseObjectName, type ReconcileResult } from "../case/types";
import { errorSummary, log } from "../lib/log";

const CONCURRENCY = 10;
export const MAX_RECONCILE_FAILURES = 8;
/** 15 min, doubling, at most a day: eight failures span about two and a half days. */
export const reconcileBackoffMs = (failures: number) => Math.min(15 * 60_000 * 2 ** (failures - 1), 86_400_000);
/** Where a flagged case's next check is parked: out of the cron's way until a webhook resets it. */
const PARKED_MS = 365 * 86_400_000;

type DueRow = { source_id: string; case_id: string; reconcile_failures: number };

export async function reconcileDueCases(env: Env, now: number, limit: number): Promise<Record<string, number>> {
  const due = await env.DB.prepare(
    "SELECT source_id, case_id, reconcile_failures FROM cases WHERE terminal = 0 AND check_after <= ?1 ORDER BY check_after LIMIT ?2",
  )
    .bind(now, limit)
    .all<DueRow>();
  const counts = { due: due.results.length, refetched: 0, forwarded: 0, unchanged: 0, not_due: 0, skipped: 0, closed: 0, failed: 0, flagged: 0 };
  const updates: D1PreparedStatement[] = [];
  const queue = [...due.results];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const name = caseObjectName({ sourceId: row.source_id, caseId: row.case_id });
        let result: ReconcileResult;
        try {
          result = await caseObject(env, { sourceId: row.source_id, caseId: row.case_id }).reconcile(now);
        } catch (err) {
          log("error", "reconcile failed to run", { case: name, error: errorSummary(err) });
          result = {
            checked: "failed",
            nextCheckAt: now,
            outcome: null,
            eventId: null,
            error: { reason: "internal_error", detail: "the case object could not run the reconcile (see the logs)" },
          };
        }
        updates.push(nextCheck(env.DB, row, result, now, counts));
      }
    }),
  );
  if (updates.length) await env.DB.batch(updates);
  return counts;
}

function nextCheck(db: D1Database, row: DueRow, r: ReconcileResult, now: number, counts: Record<string, number>): D1PreparedStatement {
  const where = "WHERE source_id = ?1 AND case_id = ?2";
  if (r.checked !== "failed") {
    if (r.checked === "due") counts.refetched!++;
    else counts[r.checked]!++;
    if (r.outcome === "forwarded" || r.outcome === "unchanged") counts[r.outcome]!++;
    if (r.outcome === "failed") counts.closed!++;
    return db
      .prepare(`UPDATE cases SET check_after = ?3, reconcile_failures = 0, reconcile_error = NULL ${where}`)
      .bind(row.source_id, row.case_id, r.nextCheckAt);
  }
  counts.failed!++;
  const failures = row.reconcile_failures + 1;
  const error = `${r.error?.reason ?? "refetch_failed"}: ${r.error?.detail ?? ""}`.slice(0, 500);
  const flagged = failures >= MAX_RECONCILE_FAILURES;
  if (flagged) {
    counts.flagged!++;
    log("warn", "reconcile flagged a case", { source_id: row.source_id, case_id: row.case_id, failures });
  }
  return db
    .prepare(`UPDATE cases SET check_after = ?3, reconcile_failures = ?4, reconcile_error = ?5 ${where}`)
    .bind(row.source_id, row.case_id, now + (flagged ? PARKED_MS : reconcileBackoffMs(failures)), failures, error);
}
