import { createRoute, z } from "@hono/zod-openapi";
import { deliveryAttempts } from "../../../services/deliveries";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { AttemptView } from "../schemas";
import { ownCustomer } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/deliveries/{id}/attempts",
  tags: ["deliveries"],
  summary: "A delivery's attempts",
  description: "Every HTTP try, oldest first: time, status code, duration, the first 4 KB of the response, and the kind of error.",
  request: {
    params: z.object({
      id: z
        .string()
        .regex(/^dlv_[0-9A-Z]{32}$/, "must be a delivery id (dlv_...)")
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: {
      description: "Attempts",
      content: { "application/json": { schema: z.object({ delivery_id: z.string(), status: z.string(), data: z.array(AttemptView) }) } },
    },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const found = await deliveryAttempts(c.env, id, ownCustomer(c.var.principal));
    if (!found) throw new RelayError("not_found", `Delivery ${id} not found.`);
    return c.json({ delivery_id: id, status: found.delivery.status, data: found.attempts }, 200);
  });
}
