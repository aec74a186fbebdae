import { createRoute } from "@hono/zod-openapi";
import { eventView } from "../../../services/events";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { EventView, idParam } from "../schemas";
import { findEventDetail } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/events/{id}",
  tags: ["events"],
  summary: "Get an event",
  description: "`payload` is exactly what endpoints receive. Read from the event's case.",
  request: { params: idParam("evt", "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The event", content: { "application/json": { schema: EventView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const id = c.req.valid("param").id;
    const detail = await findEventDetail(c.var, c.env, id);
    return c.json(eventView(detail.event), 200);
  });
}
