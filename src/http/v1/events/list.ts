import { createRoute, z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../domain";
import { eventView, listEvents } from "../../../services/events";
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
    const rows = await listEvents(c.env.DB, { customerId: scope, sourceId: q.source_id, caseId: q.case_id, type: q.type, cursor: q.cursor, limit: q.limit });
    return c.json(toPage(rows, q.limit, eventView), 200);
  });
}
