import { createRoute, z } from "@hono/zod-openapi";
import { deliveryView, eventDetail } from "../../../services/events";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { DeliveryView, idParam } from "../schemas";
import { findEvent } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/events/{id}/deliveries",
  tags: ["deliveries"],
  summary: "An event's deliveries",
  description: "One per endpoint the event was bound for, plus replays, with their status and last attempt.",
  request: { params: idParam("evt", "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "Deliveries", content: { "application/json": { schema: z.object({ data: z.array(DeliveryView) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const id = c.req.valid("param").id;
    const detail = await eventDetail(c.env, await findEvent(c.var, id));
    if (!detail) throw new RelayError("not_found", `Event ${id} not found.`);
    return c.json({ data: detail.deliveries.map(deliveryView) }, 200);
  });
}
