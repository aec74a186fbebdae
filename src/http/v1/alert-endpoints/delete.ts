import { eq } from "drizzle-orm";
import { alertEndpoints } from "../../../db/schema";
import type { App } from "../../context";
import { deleteRoute } from "../routes";
import { findAlertEndpoint } from "../../../services/access";

const route = deleteRoute({
  path: "/v1/alert-endpoints/{id}",
  tag: "alerts",
  summary: "Remove an alert endpoint",
  description: "Notifications still queued for it are dropped.",
  prefix: "ale",
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    await findAlertEndpoint(c.var, id);
    await c.var.db.delete(alertEndpoints).where(eq(alertEndpoints.id, id));
    return c.json({ id, deleted: true as const }, 200);
  });
}
