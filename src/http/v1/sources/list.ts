import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { sources } from "../../../db/schema";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { PageQuery, pageSchema } from "../../pagination";
import { CustomerIdField, SourceView } from "../schemas";
import { sourceView } from "./shared";

const route = createRoute({
  method: "get",
  path: "/v1/sources",
  tags: ["sources"],
  summary: "List sources",
  description: "Newest first, optionally for one customer. A customer key lists only its own.",
  request: { query: PageQuery.extend({ customer_id: CustomerIdField.optional() }) },
  responses: {
    200: { description: "A page of sources", content: { "application/json": { schema: pageSchema(SourceView, "SourcePage") } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor, customer_id } = c.req.valid("query");
    const scope = customerScope(c, customer_id);
    const rows = await c.var.db
      .select()
      .from(sources)
      .where(and(scope ? eq(sources.customerId, scope) : undefined, cursor ? lt(sources.id, cursor) : undefined))
      .orderBy(desc(sources.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return c.json({ data: await Promise.all(page.map((r) => sourceView(c, r))), next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null }, 200);
  });
}
