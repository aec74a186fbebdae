import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { alertEndpoints } from "../../../db/schema";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { PageQuery, pageSchema, toPage } from "../../pagination";
import { CustomerIdField } from "../schemas";
import { AlertEndpointView, alertEndpointView } from "./shared";

const route = createRoute({
  method: "get",
  path: "/v1/alert-endpoints",
  tags: ["alerts"],
  summary: "List alert endpoints",
  description: "Newest first. The operator sees every one (its own have `customer_id: null`), optionally one customer's; a customer key only its own.",
  request: { query: PageQuery.extend({ customer_id: CustomerIdField.optional() }) },
  responses: {
    200: { description: "A page of alert endpoints", content: { "application/json": { schema: pageSchema(AlertEndpointView, "AlertEndpointPage") } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor, customer_id } = c.req.valid("query");
    const scope = customerScope(c, customer_id);
    const rows = await c.var.db
      .select()
      .from(alertEndpoints)
      .where(and(scope ? eq(alertEndpoints.customerId, scope) : undefined, cursor ? lt(alertEndpoints.id, cursor) : undefined))
      .orderBy(desc(alertEndpoints.id))
      .limit(limit + 1);
    return c.json(toPage(rows, limit, alertEndpointView), 200);
  });
}
