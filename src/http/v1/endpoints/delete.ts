import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { endpoints, endpointTests } from "../../../db/schema";
import { forgetEndpoints } from "../../../db/control-plane";
import { subjectGone } from "../../../services/issues";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { findEndpoint } from "../../../services/access";

const route = createRoute({
  method: "delete",
  path: "/v1/endpoints/{id}",
  tags: ["endpoints"],
  summary: "Remove an endpoint",
  description: "Pending retries to it are dropped when they come due.",
  request: { params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "Deleted", content: { "application/json": { schema: z.object({ id: z.string(), deleted: z.literal(true) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const endpoint = await findEndpoint(c.var, id);
    await c.var.db.batch([c.var.db.delete(endpoints).where(eq(endpoints.id, id)), c.var.db.delete(endpointTests).where(eq(endpointTests.endpointId, id))]);
    forgetEndpoints(endpoint.customerId);
    await subjectGone(c.env, id, "the endpoint was deleted");
    return c.json({ id, deleted: true as const }, 200);
  });
}
