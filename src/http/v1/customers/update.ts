import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { customers } from "../../../db/schema";
import { requireAdmin } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { CustomerView, idParam } from "../schemas";
import { customerView } from "./view";
import { findCustomer } from "../../../services/access";

const route = createRoute({
  method: "patch",
  path: "/v1/customers/{id}",
  tags: ["customers"],
  summary: "Rename a customer",
  request: {
    params: idParam("cus", "cus_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"),
    body: { required: true, content: { "application/json": { schema: z.strictObject({ name: z.string().trim().min(1).max(200) }) } } },
  },
  responses: {
    200: { description: "The updated customer", content: { "application/json": { schema: CustomerView } } },
    ...errorResponses(400, 401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid("param");
    await findCustomer(c.var, id);
    const row = await c.var.db
      .update(customers)
      .set({ name: c.req.valid("json").name })
      .where(eq(customers.id, id))
      .returning()
      .get();
    return c.json(customerView(row), 200);
  });
}
