import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { alertEndpoints } from "../../../db/schema";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { findAlertEndpoint } from "../../../services/access";

const route = createRoute({
  method: "delete",
  path: "/v1/alert-endpoints/{id}",
  tags: ["alerts"],
  summary: "Remove an alert endpoint",
  description: "Notifications still queued for it are dropped.",
  request: { params: idParam("ale", "ale_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "Deleted", content: { "application/json": { schema: z.object({ id: z.string(), deleted: z.literal(true) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    await findAlertEndpoint(c.var, id);
    await c.var.db.delete(alertEndpoints).where(eq(alertEndpoints.id, id));
    return c.json({ id, deleted: true as const }, 200);
  });
}
