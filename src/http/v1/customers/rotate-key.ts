import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { customers } from "../../../db/schema";
import { randomToken, sha256Hex } from "../../../lib/crypto";
import { CUSTOMER_KEY_PREFIX, requireAdmin } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { findCustomer } from "../../../services/access";

const route = createRoute({
  method: "post",
  path: "/v1/customers/{id}/rotate-key",
  tags: ["customers"],
  summary: "Replace a customer's API key",
  description: "The old key stops working at once; the new one is shown once.",
  request: { params: idParam("cus", "cus_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The new key", content: { "application/json": { schema: z.object({ id: z.string(), api_key: z.string() }) } } },
    ...errorResponses(401, 403, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid("param");
    await findCustomer(c.var, id);
    const apiKey = `${CUSTOMER_KEY_PREFIX}${randomToken(24)}`;
    await c.var.db
      .update(customers)
      .set({ apiKeyHash: await sha256Hex(apiKey) })
      .where(eq(customers.id, id));
    return c.json({ id, api_key: apiKey }, 200);
  });
}
