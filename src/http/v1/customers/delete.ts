import { eq } from "drizzle-orm";
import { alertEndpoints, customers, endpoints, sources } from "../../../db/schema";
import { requireAdmin } from "../../auth";
import type { App } from "../../context";
import { RelayError } from "../../../lib/errors";
import { deleteRoute } from "../routes";
import { findCustomer } from "../../../services/access";

const route = deleteRoute({
  path: "/v1/customers/{id}",
  tag: "customers",
  summary: "Delete a customer",
  description: "Refused while the customer still has sources, endpoints or alert endpoints: delete those first.",
  prefix: "cus",
  errors: [401, 403, 404, 409, 422],
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid("param");
    await findCustomer(c.var, id);
    const [src, ep, alerts] = await c.var.db.batch([
      c.var.db.select({ id: sources.id }).from(sources).where(eq(sources.customerId, id)).limit(1),
      c.var.db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.customerId, id)).limit(1),
      c.var.db.select({ id: alertEndpoints.id }).from(alertEndpoints).where(eq(alertEndpoints.customerId, id)).limit(1),
    ]);
    if (src.length || ep.length || alerts.length)
      throw new RelayError("conflict", `Customer ${id} still has sources, endpoints or alert endpoints; delete them first.`);
    await c.var.db.delete(customers).where(eq(customers.id, id));
    return c.json({ id, deleted: true as const }, 200);
  });
}
