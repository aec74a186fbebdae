import { createRoute } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { ISSUE_STATUSES } from "../../../domain/issues";
import { issueView } from "../../../alerts/view";
import { listIssues } from "../../../services/issues";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { PageQuery, pageSchema, toPage } from "../../pagination";
import { CustomerIdField } from "../schemas";
import { IssueKindField, IssueView } from "./shared";

const Query = PageQuery.extend({
  status: z.enum(ISSUE_STATUSES).optional().openapi({ description: "Only issues in this status (default: all)." }),
  kind: IssueKindField.optional(),
  customer_id: CustomerIdField.optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/issues",
  tags: ["alerts"],
  summary: "List issues",
  description: "Alerts as issues: one per condition and subject while it lasts, newest first. A customer key lists only its own customer's.",
  request: { query: Query },
  responses: {
    200: { description: "A page of issues", content: { "application/json": { schema: pageSchema(IssueView, "IssuePage") } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const rows = await listIssues(c.var.db, { status: q.status, kind: q.kind, customerId: customerScope(c, q.customer_id), cursor: q.cursor, limit: q.limit });
    return c.json(toPage(rows, q.limit, issueView), 200);
  });
}
