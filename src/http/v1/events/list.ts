import { createRoute, z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../domain";
import { findSource } from "../../../services/access";
import { caseEvents, EXAMINE_LIMIT, eventSummaryView, listEvents, MERGE_CUSTOMERS_LIMIT } from "../../../services/events";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { PageQuery, pageSchema } from "../../pagination";
import { CustomerIdField, EventSummaryView, SourceIdField } from "../schemas";

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
  description: `Newest first, as summaries (\`GET /v1/events/{id}\` has the payload). A page reads at most ${EXAMINE_LIMIT} index rows beyond its size: with a filter that matches rarely, a page can be short (even empty) while \`next_cursor\` says there is more to look through. Without \`customer_id\`, the operator's list spans every customer (up to ${MERGE_CUSTOMERS_LIMIT}).`,
  request: { query: Query },
  responses: {
    200: { description: "A page of events", content: { "application/json": { schema: pageSchema(EventSummaryView, "EventPage") } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    let scope = customerScope(c, q.customer_id);
    if (q.case_id && !q.source_id)
      throw new RelayError("validation_failed", "case_id needs source_id.", [{ path: "source_id", message: "required with case_id" }]);
    if (q.source_id) {
      const source = await findSource(c.var, q.source_id);
      if (scope && scope !== source.customerId) return c.json({ data: [], next_cursor: null }, 200);
      scope = source.customerId;
    }
    const filter = { customerId: scope, sourceId: q.source_id, caseId: q.case_id, type: q.type, cursor: q.cursor, limit: q.limit };
    const page = q.case_id ? await caseEvents(c.env, q.source_id!, q.case_id, filter) : await listEvents(c.env, filter);
    if ("tooMany" in page) {
      throw new RelayError(
        "validation_failed",
        `There are more than ${MERGE_CUSTOMERS_LIMIT} customers: list one customer's events with customer_id (or source_id).`,
        [{ path: "customer_id", message: "required with this many customers" }],
      );
    }
    return c.json({ data: page.rows.map(eventSummaryView), next_cursor: page.nextCursor }, 200);
  });
}
