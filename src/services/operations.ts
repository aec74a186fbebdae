/**
 * Operator actions shared by the admin API and the console: replay an event, update (pause,
 * resume) an endpoint, recover an endpoint's failed deliveries. Callers check access first.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { endpoints } from "../db/schema";
import type { EndpointFilter, EventType } from "../domain";
import { ApiError } from "../http/errors";
import { newDeliveryId } from "../lib/ids";
import { enqueueDeliveries, requeueDeliveries, type DeliveryRecord } from "./deliveries";
import { filterMatches, forgetEndpoints, type EndpointRow } from "./endpoints";
import type { EventRow } from "./events";

type ReplayTarget = { id: string; status: string; filter: string };

/**
 * Delivers an event again, to one endpoint of its customer or to every endpoint whose filter
 * matches. Paused or disabled endpoints hold the replay until resumed.
 */
export async function replayEvent(env: Env, event: EventRow, endpointId?: string, now = Date.now()): Promise<DeliveryRecord[]> {
  const all = await env.DB.prepare("SELECT id, status, filter FROM endpoints WHERE customer_id = ?").bind(event.customer_id).all<ReplayTarget>();
  let targets: ReplayTarget[];
  if (endpointId) {
    targets = all.results.filter((e) => e.id === endpointId);
    if (!targets.length) throw new ApiError("not_found", `Endpoint ${endpointId} not found for this event's customer.`);
  } else {
    targets = all.results.filter((e) => filterMatches(JSON.parse(e.filter), { type: event.type as EventType, sourceId: event.source_id, group: event.group_id }));
  }
  const created = targets.map((e) => ({ id: newDeliveryId(event.id), endpointId: e.id, held: e.status !== "active" }));
  if (created.length) {
    await env.DB.batch(
      created.map((d) =>
        env.DB.prepare(
          `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, source_id, case_id, sequence, status, replay, attempts, next_attempt_at, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, '[]', ?9, ?10, ?10)`,
        ).bind(d.id, event.id, d.endpointId, event.customer_id, event.source_id, event.case_id, event.sequence, d.held ? "held" : "retrying", d.held ? null : now, now),
      ),
    );
    await enqueueDeliveries(
      env,
      created.filter((d) => !d.held).map((d) => ({ id: d.id, eventId: event.id, endpointId: d.endpointId, sourceId: event.source_id, caseId: event.case_id, dueAt: now })),
      now,
    );
  }
  return created.map((d) => ({ id: d.id, eventId: event.id, endpointId: d.endpointId, status: d.held ? "held" : "retrying", replay: true, attempts: [], nextAttemptAt: d.held ? null : now }));
}

export type EndpointChanges = { url?: string; description?: string; filter?: EndpointFilter; status?: "active" | "paused" };

/**
 * Applies already validated changes. Resuming (status active on a paused or disabled endpoint)
 * clears the disabled state and sends what was held meanwhile.
 */
export async function updateEndpoint(env: Env, db: Db, current: EndpointRow, changes: EndpointChanges): Promise<EndpointRow> {
  const resuming = changes.status === "active" && current.status !== "active";
  const row = await db
    .update(endpoints)
    .set({
      url: changes.url,
      description: changes.description,
      filter: changes.filter,
      status: changes.status,
      ...(resuming ? { disabledReason: null, failingSince: null } : {}),
      updatedAt: Date.now(),
    })
    .where(eq(endpoints.id, current.id))
    .returning()
    .get();
  forgetEndpoints(current.customerId);
  if (resuming) await requeueDeliveries(env, current.id, "held");
  return row;
}

/** Queues again the endpoint's failed deliveries created at or after `since`; the endpoint must be active. */
export async function recoverEndpoint(env: Env, endpoint: EndpointRow, since: number): Promise<number> {
  if (endpoint.status !== "active") throw new ApiError("conflict", `Endpoint ${endpoint.id} is ${endpoint.status}; resume it first (PATCH status: active).`);
  return requeueDeliveries(env, endpoint.id, "failed", since);
}
