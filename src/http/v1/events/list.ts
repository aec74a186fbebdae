import { createRoute, z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../domain";
import { eventView, type EventRow } from "../../../services/events";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { ApiError, errorResponses } from "../../errors";
import { PageQuery, pageSchema, toPage } from "../../pagination";
import { CustomerIdField, EventView, SourceIdField } from "../schemas";

const Query = PageQuery.extend({
  customer_id: CustomerIdField.optional(),
  source_id: SourceIdField.optional(),
  case_id: z.string().min(1).max(300).optional().openapi({ description: "Needs `source_id`: a case is identified by its source and the provider's case id." }),
  type: z.enum(EVENT_TYPES).optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/events",
  tags: ["events"],
  summary: "List events",
  description: "Newest first. Filtering by case reads the case's own key range; other filters scan recent events (events are deliberately indexed by id only, see the README).",
  request: { query: Query },
  responses: {
    200: { description: "A page of events", content: { "application/json": { schema: pageSchema(EventView, "EventPage") } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const scope = customerScope(c, q.customer_id);
    if (q.case_id && !q.source_id) throw new ApiError("validation_failed", "case_id needs source_id.", [{ path: "source_id", message: "required with case_id" }]);
    const where: string[] = [];
    const binds: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      binds.push(v);
      where.push(sql.replace("?", `?${binds.length}`));
    };
    if (scope) add("e.customer_id = ?", scope);
    if (q.source_id) add("e.source_id = ?", q.source_id);
    if (q.type) add("e.type = ?", q.type);
    if (q.cursor) add("e.id < ?", q.cursor);
    let sql: string;
    if (q.case_id) {
      add("r.case_id = ?", q.case_id);
      add("r.source_id = ?", q.source_id);
      sql = `SELECT e.* FROM receipts r JOIN events e ON e.id = 'evt_' || substr(r.id, 5) WHERE ${where.join(" AND ")}`;
    } else {
      sql = `SELECT e.* FROM events e ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`;
    }
    binds.push(q.limit + 1);
    const rows = await c.env.DB.prepare(`${sql} ORDER BY e.id DESC LIMIT ?${binds.length}`).bind(...binds).all<EventRow>();
    return c.json(toPage(rows.results, q.limit, eventView), 200);
  });
}
