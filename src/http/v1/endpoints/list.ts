import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { endpoints } from "../../../db/schema";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { PageQuery, pageSchema, toPage } from "../../pagination";
import { CustomerIdField, EndpointView } from "../schemas";
import { endpointView } from "./shared";

const route = createRoute({
  method: "get",
  path: "/v1/endpoints",
  tags: ["endpoints"],
  summary: "List endpoints",
  description: "Newest first, optionally for one customer. A customer key lists only its own.",
  request: { query: PageQuery.extend({ customer_id: CustomerIdField.optional() }) },
  responses: {
    200: { description: "A page of endpoints", content: { "application/json": { schema: pageSchema(EndpointView, "EndpointPage") } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor, customer_id } = c.req.valid("query");
    const scope = customerScope(c, customer_id);
    const rows = await c.var.db
      .select()
      .from(endpoints)
      .where(and(scope ? eq(endpoints.customerId, scope) : undefined, cursor ? lt(endpoints.id, cursor) : undefined))
      .orderBy(desc(endpoints.id))
      .limit(limit + 1);
    return c.json(toPage(rows, limit, endpointView), 200);
  });
}
