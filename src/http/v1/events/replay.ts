import { createRoute, z } from "@hono/zod-openapi";
import { deliveryView } from "../../../services/events";
import { replayEvent } from "../../../services/operations";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { DeliveryView, idParam } from "../schemas";
import { findEvent } from "../../../services/access";

const route = createRoute({
  method: "post",
  path: "/v1/events/{id}/replay",
  tags: ["deliveries"],
  summary: "Deliver an event again",
  description:
    "To one endpoint of the event's customer, or to every endpoint whose filter matches. A replay keeps the event's `webhook-id` and `sequence`, carries `trigger.kind: \"replay\"`, and is sent even when the endpoint already acknowledged a later event of the case. Paused or disabled endpoints hold it until resumed. The response shows each delivery after its first attempt.",
  request: {
    params: idParam("evt", "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"),
    body: {
      required: false,
      content: {
        "application/json": {
          schema: z.strictObject({
            endpoint_id: z
              .string()
              .regex(/^ep_[0-9A-Z]{26}$/)
              .optional(),
          }),
        },
      },
    },
  },
  responses: {
    202: { description: "Replayed", content: { "application/json": { schema: z.object({ data: z.array(DeliveryView) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const id = c.req.valid("param").id;
    const endpointId = c.req.valid("json")?.endpoint_id;
    const created = await replayEvent(c.env, await findEvent(c.var, c.env, id), endpointId);
    if (created === "event_not_found") throw new RelayError("not_found", `Event ${id} not found.`);
    if (created === "endpoint_not_found") throw new RelayError("not_found", `Endpoint ${endpointId} not found for this event's customer.`);
    return c.json({ data: created.map(deliveryView) }, 202);
  });
}
