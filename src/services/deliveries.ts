/**
 * Deliveries as operators act on them: replay an event, read a delivery's attempts, recover an
 * endpoint's failed deliveries, release what a paused endpoint held. Each case's object does the
 * work; the D1 index says which cases to ask, and the cron finishes what a request starts.
 */
import type { AttemptList, DeliveryRecord } from "../case/types";
import { releaseAndRecover } from "./fanout";
import { eventIdOfDelivery } from "../lib/ids";
import { errorSummary, log } from "../lib/log";
import { caseStub, findEventRow } from "./events";
import type { EventIndexRow } from "../db/schema";

export type Background = { waitUntil(promise: Promise<unknown>): void };

export async function replayEvent(env: Env, event: EventIndexRow, endpointId?: string): Promise<DeliveryRecord[] | "endpoint_not_found" | "event_not_found"> {
  const r = await caseStub(env, event.sourceId, event.caseId).replayEvent(event.id, endpointId ?? null);
  return r.ok ? r.deliveries : r.error;
}

/** A delivery's attempts, if the caller may see its event. */
export async function deliveryAttempts(env: Env, deliveryId: string, customerId?: string): Promise<AttemptList> {
  const event = await findEventRow(env, eventIdOfDelivery(deliveryId), customerId);
  if (!event) return null;
  return caseStub(env, event.sourceId, event.caseId).attempts(deliveryId);
}

/** Starts handing the endpoint's held and recovering deliveries to their cases now; the cron finishes. */
export function kickFanout(env: Env, bg: Background, endpointId: string): void {
  bg.waitUntil(
    releaseAndRecover(env, { endpointId }).catch((err) =>
      log("error", "release or recover pass failed", { endpoint_id: endpointId, error: errorSummary(err) }),
    ),
  );
}

/**
 * Marks the endpoint's failed deliveries created at or after `since` for recovery, however many,
 * and starts sending them. Each gets a fresh retry schedule from its case object.
 */
export async function recoverDeliveries(env: Env, bg: Background, endpointId: string, since: number, now = Date.now()): Promise<number> {
  const marked = await env.DB.prepare(
    "UPDATE deliveries SET status = 'recovering', updated_at = ?3 WHERE endpoint_id = ?1 AND status = 'failed' AND created_at >= ?2",
  )
    .bind(endpointId, since, now)
    .run();
  kickFanout(env, bg, endpointId);
  return marked.meta.changes;
}
