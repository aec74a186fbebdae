import { createRoute, z } from "@hono/zod-openapi";
import type { Delivery } from "../../../domain";
import { eventIdOfDelivery } from "../../../lib/ids";
import type { DeliveryRow, EventRow } from "../../../services/events";
import { assertVisible } from "../../auth";
import type { App } from "../../context";
import { ApiError, errorResponses } from "../../errors";
import { AttemptView } from "../schemas";

const route = createRoute({
  method: "get",
  path: "/v1/deliveries/{id}/attempts",
  tags: ["deliveries"],
  summary: "A delivery's attempts",
  description: "Every HTTP try, oldest first: time, status code, duration, the first 4 KB of the response, and the kind of error.",
  request: {
    params: z.object({ id: z.string().regex(/^dlv_[0-9A-Z]{32}$/, "must be a delivery id (dlv_...)").openapi({ param: { name: "id", in: "path" } }) }),
  },
  responses: {
    200: { description: "Attempts", content: { "application/json": { schema: z.object({ delivery_id: z.string(), status: z.string(), data: z.array(AttemptView) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const queued = await c.env.DB.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<DeliveryRow>();
    if (queued) {
      assertVisible(c, queued.customer_id, `Delivery ${id}`);
      return c.json({ delivery_id: id, status: queued.status, data: JSON.parse(queued.attempts) }, 200);
    }
    const event = await c.env.DB.prepare("SELECT customer_id, deliveries FROM events WHERE id = ?").bind(eventIdOfDelivery(id)).first<Pick<EventRow, "customer_id" | "deliveries">>();
    const embedded = event ? (JSON.parse(event.deliveries) as Delivery[]).find((d) => d.id === id) : undefined;
    if (!event || !embedded) throw new ApiError("not_found", `Delivery ${id} not found.`);
    assertVisible(c, event.customer_id, `Delivery ${id}`);
    return c.json({ delivery_id: id, status: embedded.status, data: embedded.attempts }, 200);
  });
}
