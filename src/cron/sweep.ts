/**
 * Safety net for deliveries whose queue message was lost (a failed send after the row was written):
 * anything still retrying well past its due time is queued again. The delivery consumer ignores a
 * message for an attempt that was already made.
 */
import { enqueueDeliveries } from "../services/deliveries";

const OVERDUE_MS = 15 * 60 * 1000;
const LIMIT = 500;

export async function sweepOverdueDeliveries(env: Env, now: number): Promise<Record<string, number>> {
  const rows = await env.DB.prepare(
    `SELECT id, event_id, endpoint_id, source_id, case_id FROM deliveries
      WHERE status = 'retrying' AND next_attempt_at < ?1 ORDER BY next_attempt_at LIMIT ?2`,
  )
    .bind(now - OVERDUE_MS, LIMIT)
    .all<{ id: string; event_id: string; endpoint_id: string; source_id: string; case_id: string }>();
  await enqueueDeliveries(
    env,
    rows.results.map((r) => ({ id: r.id, eventId: r.event_id, endpointId: r.endpoint_id, sourceId: r.source_id, caseId: r.case_id, dueAt: now })),
    now,
  );
  return { requeued: rows.results.length };
}
