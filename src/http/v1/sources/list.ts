import { sources } from "../../../db/schema";
import { ownedPage } from "../../../services/access";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { customerListRoute } from "../routes";
import { SourceView } from "../schemas";
import { sourceView } from "./shared";

const route = customerListRoute({
  path: "/v1/sources",
  tag: "sources",
  summary: "List sources",
  description: "Newest first, optionally for one customer. A customer key lists only its own.",
  view: SourceView,
  page: "SourcePage",
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor, customer_id } = c.req.valid("query");
    const rows = await ownedPage(c.var.db, sources, { customerId: customerScope(c, customer_id), cursor, limit });
    const page = rows.slice(0, limit);
    return c.json({ data: await Promise.all(page.map((r) => sourceView(c, r))), next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null }, 200);
  });
}
