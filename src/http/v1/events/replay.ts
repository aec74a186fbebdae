import { createRoute, z } from "@hono/zod-openapi";
import type { EventType } from "../../../domain";
import { newDeliveryId } from "../../../lib/ids";
import { deliveryView, enqueueDeliveries } from "../../../services/deliveries";
import { filterMatches } from "../../../services/endpoints";
import type { App } from "../../context";
import { ApiError, errorResponses } from "../../errors";
import { DeliveryView, idParam } from "../schemas";
import { findEvent } from "./shared";

const route = createRoute({
  method: "post",
  path: "/v1/events/{id}/replay",
  tags: ["deliveries"],
  summary: "Deliver an event again",
  description:
    "To one endpoint of the event's customer, or to every endpoint whose filter matches. A replay keeps the event's `webhook-id` and `sequence`, carries `trigger.kind: \"replay\"`, and is sent even when the endpoint already acknowledged a later event of the case. Paused or disabled endpoints hold it until resumed.",
  request: {
    params: idParam("evt", "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"),
    body: { required: false, content: { "application/json": { schema: z.strictObject({ endpoint_id: z.string().regex(/^ep_[0-9A-Z]{26}$/).optional() }) } } },
  },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: z.object({ data: z.array(DeliveryView) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

type EndpointRow = { id: string; status: string; filter: string };

export function register(app: App) {
  app.openapi(route, async (c) => {
    const event = await findEvent(c, c.req.valid("param").id);
    const endpointId = c.req.valid("json")?.endpoint_id;
    const all = await c.env.DB.prepare("SELECT id, status, filter FROM endpoints WHERE customer_id = ?").bind(event.customer_id).all<EndpointRow>();
    let targets: EndpointRow[];
    if (endpointId) {
      targets = all.results.filter((e) => e.id === endpointId);
      if (!targets.length) throw new ApiError("not_found", `Endpoint ${endpointId} not found for this event's customer.`);
    } else {
      targets = all.results.filter((e) => filterMatches(JSON.parse(e.filter), { type: event.type as EventType, sourceId: event.source_id, group: event.group_id }));
    }
    const now = Date.now();
    const created = targets.map((e) => ({ id: newDeliveryId(event.id), endpointId: e.id, held: e.status !== "active" }));
    if (created.length) {
      await c.env.DB.batch(
        created.map((d) =>
          c.env.DB.prepare(
            `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, source_id, case_id, sequence, status, replay, attempts, next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, '[]', ?9, ?10, ?10)`,
          ).bind(d.id, event.id, d.endpointId, event.customer_id, event.source_id, event.case_id, event.sequence, d.held ? "held" : "retrying", d.held ? null : now, now),
        ),
      );
      await enqueueDeliveries(
        c.env,
        created.filter((d) => !d.held).map((d) => ({ id: d.id, eventId: event.id, endpointId: d.endpointId, sourceId: event.source_id, caseId: event.case_id, dueAt: now })),
        now,
      );
    }
    const views = created.map((d) =>
      deliveryView({ id: d.id, eventId: event.id, endpointId: d.endpointId, status: d.held ? "held" : "retrying", replay: true, attempts: [], nextAttemptAt: d.held ? null : now }),
    );
    return c.json({ data: views }, 202);
  });
}
