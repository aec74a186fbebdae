import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { customers } from "../../../db/schema";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { pageSchema, PageQuery, toPage } from "../../pagination";
import { CustomerView } from "../schemas";
import { customerView } from "./view";

const route = createRoute({
  method: "get",
  path: "/v1/customers",
  tags: ["customers"],
  summary: "List customers",
  description: "Newest first. A customer key sees only its own customer.",
  request: { query: PageQuery },
  responses: {
    200: { description: "A page of customers", content: { "application/json": { schema: pageSchema(CustomerView, "CustomerPage") } } },
    ...errorResponses(401, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const p = c.var.principal;
    const where: (SQL | undefined)[] = [cursor ? lt(customers.id, cursor) : undefined, p.kind === "customer" ? eq(customers.id, p.customerId) : undefined];
    const rows = await c.var.db
      .select()
      .from(customers)
      .where(and(...where))
      .orderBy(desc(customers.id))
      .limit(limit + 1);
    return c.json(toPage(rows, limit, customerView), 200);
  });
}
