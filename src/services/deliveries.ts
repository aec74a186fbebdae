/** Queued deliveries: (re)sending through the DELIVERY queue, and the API's view of a delivery. */
import type { Attempt, Delivery } from "../domain";
import type { DeliveryMessage } from "../pipeline/messages";
import { MAX_QUEUE_DELAY_SECONDS } from "../pipeline/schedule";

export type QueuedDelivery = {
  id: string;
  eventId: string;
  endpointId: string;
  sourceId: string;
  caseId: string;
  dueAt: number;
};

export function deliveryMessage(d: QueuedDelivery, now = Date.now()): MessageSendRequest<DeliveryMessage> {
  return {
    body: { kind: "delivery", delivery_id: d.id, event_id: d.eventId, endpoint_id: d.endpointId, source_id: d.sourceId, case_id: d.caseId, due_at: d.dueAt },
    contentType: "json",
    delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((d.dueAt - now) / 1000))),
  };
}

export async function enqueueDeliveries(env: Env, deliveries: QueuedDelivery[], now = Date.now()): Promise<void> {
  for (let i = 0; i < deliveries.length; i += 100) {
    await env.DELIVERY.sendBatch(deliveries.slice(i, i + 100).map((d) => deliveryMessage(d, now)));
  }
}

export type DeliveryRecord = {
  id: string;
  eventId: string;
  endpointId: string;
  status: string;
  replay: boolean;
  attempts: Attempt[];
  nextAttemptAt: number | null;
};

export function deliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    event_id: d.eventId,
    endpoint_id: d.endpointId,
    status: d.status as Delivery["status"],
    replay: d.replay,
    attempt_count: d.attempts.length,
    next_attempt_at: d.nextAttemptAt === null ? null : new Date(d.nextAttemptAt).toISOString(),
    last_attempt: d.attempts.at(-1) ?? null,
  };
}

/** Requeue at most this many deliveries per call; the response says how many, and calling again continues. */
export const REQUEUE_LIMIT = 1000;

type RequeueRow = { id: string; event_id: string; endpoint_id: string; source_id: string; case_id: string };

/**
 * Puts an endpoint's deliveries in `status` (held, or failed since a time) back in the queue, due now.
 * Failed ones start a new retry cycle (retry_base moves past their earlier attempts).
 */
export async function requeueDeliveries(env: Env, endpointId: string, status: "held" | "failed", since = 0, now = Date.now()): Promise<number> {
  const rows = await env.DB.prepare(
    `UPDATE deliveries SET status = 'retrying', next_attempt_at = ?3, retry_base = json_array_length(attempts), updated_at = ?3
      WHERE id IN (SELECT id FROM deliveries WHERE endpoint_id = ?1 AND status = ?2 AND created_at >= ?4 ORDER BY created_at LIMIT ${REQUEUE_LIMIT})
      RETURNING id, event_id, endpoint_id, source_id, case_id`,
  )
    .bind(endpointId, status, now, since)
    .all<RequeueRow>();
  await enqueueDeliveries(
    env,
    rows.results.map((r) => ({ id: r.id, eventId: r.event_id, endpointId: r.endpoint_id, sourceId: r.source_id, caseId: r.case_id, dueAt: now })),
    now,
  );
  return rows.results.length;
}
