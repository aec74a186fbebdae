import { createRoute, z } from "@hono/zod-openapi";
import { deliveryView } from "../../../services/events";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { DeliveryView, idParam } from "../schemas";
import { findEventDetail } from "../../../services/access";

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
    const detail = await findEventDetail(c.var, c.env, id);
    return c.json({ data: detail.deliveries.map(deliveryView) }, 200);
  });
}
