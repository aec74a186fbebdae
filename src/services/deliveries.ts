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
