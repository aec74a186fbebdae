import { createRoute, z } from "@hono/zod-openapi";
import { customers } from "../../../db/schema";
import { randomToken, sha256Hex } from "../../../lib/crypto";
import { newId } from "../../../lib/ids";
import { CUSTOMER_KEY_PREFIX, requireAdmin } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { CustomerView } from "../schemas";
import { customerView } from "./view";

const route = createRoute({
  method: "post",
  path: "/v1/customers",
  tags: ["customers"],
  summary: "Create a customer",
  description: "Operator only. The response carries the customer's API key once; only its hash is stored.",
  request: { body: { required: true, content: { "application/json": { schema: z.strictObject({ name: z.string().trim().min(1).max(200) }) } } } },
  responses: {
    201: {
      description: "Created",
      content: {
        "application/json": {
          schema: CustomerView.extend({ api_key: z.string().openapi({ description: "Shown once. Limits API calls to this customer's data." }) }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    requireAdmin(c);
    const apiKey = `${CUSTOMER_KEY_PREFIX}${randomToken(24)}`;
    const row = { id: newId("cus"), name: c.req.valid("json").name, apiKeyHash: await sha256Hex(apiKey), createdAt: Date.now() };
    await c.var.db.insert(customers).values(row);
    return c.json({ ...customerView(row), api_key: apiKey }, 201);
  });
}
