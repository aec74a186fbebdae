/**
 * Reconcile: open cases due for a check (oldest first, bounded per run) go to their CaseObject,
 * which refetches them if they have been quiet for reconcile_after_seconds and forwards a
 * `reconcile` event only if the state changed.
 */
import { errorSummary, log } from "../lib/log";
import { caseObjectName, type CaseKey, type ReconcileResult } from "../pipeline/case-types";
import { persist, type CaseWork } from "../pipeline/persist";
import { loadSnapshots } from "../pipeline/snapshot";

const CONCURRENCY = 10;

export async function reconcileDueCases(env: Env, now: number, limit: number): Promise<Record<string, number>> {
  const due = await env.DB.prepare(
    `SELECT source_id, case_id, customer_id FROM cases WHERE terminal = 0 AND check_after <= ?1 ORDER BY check_after LIMIT ?2`,
  )
    .bind(now, limit)
    .all<{ source_id: string; case_id: string; customer_id: string }>();
  const counts = { due: due.results.length, refetched: 0, forwarded: 0, unchanged: 0, not_due: 0, skipped: 0, closed: 0, failed: 0 };
  const done: { key: CaseKey; result: ReconcileResult }[] = [];
  const snapshots = await loadSnapshots(env.DB, due.results.map((r) => ({ sourceId: r.source_id, caseId: r.case_id })));
  const queue = due.results.map((row, i) => ({ row, snapshot: snapshots[i]! }));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { row, snapshot } = next;
        const key = { sourceId: row.source_id, caseId: row.case_id, customerId: row.customer_id };
        try {
          const result = await env.CASES.get(env.CASES.idFromName(caseObjectName(key))).reconcile(key, snapshot, now);
          done.push({ key, result });
        } catch (err) {
          counts.failed++;
          log("error", "reconcile failed", { case: caseObjectName(key), error: errorSummary(err) });
        }
      }
    }),
  );
  for (const { result } of done) {
    if (result.checked === "not_due") counts.not_due++;
    else if (result.checked === "skipped") counts.skipped++;
    else counts.refetched++;
    for (const r of result.receipts) if (r.outcome === "forwarded" || r.outcome === "unchanged") counts[r.outcome]++;
    if (result.caseRow.terminal) counts.closed++;
  }
  const work: CaseWork[] = done.map(({ key, result }) => ({ key, result, dedupeKeys: new Map(), reconcileReceipt: result.receipt }));
  await persist(env, work, now);
  // Cases that failed to run keep their check_after and come back next run.
  if (done.length) {
    await env.DB.batch(
      done.map(({ key, result }) =>
        env.DB.prepare("UPDATE cases SET check_after = ?3, terminal = ?4, updated_at = ?5 WHERE source_id = ?1 AND case_id = ?2").bind(
          key.sourceId,
          key.caseId,
          result.nextCheckAt,
          result.caseRow.terminal ? 1 : 0,
          now,
        ),
      ),
    );
  }
  return counts;
}
