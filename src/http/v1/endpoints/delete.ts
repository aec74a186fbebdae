import { eq } from "drizzle-orm";
import { endpoints, endpointTests } from "../../../db/schema";
import { forgetEndpoints } from "../../../db/control-plane";
import { subjectGone } from "../../../services/issues";
import type { App } from "../../context";
import { deleteRoute } from "../routes";
import { findEndpoint } from "../../../services/access";

const route = deleteRoute({
  path: "/v1/endpoints/{id}",
  tag: "endpoints",
  summary: "Remove an endpoint",
  description: "Pending retries to it are dropped when they come due.",
  prefix: "ep",
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
