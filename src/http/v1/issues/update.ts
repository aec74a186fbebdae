import { createRoute, z } from "@hono/zod-openapi";
import { issueView } from "../../../alerts/view";
import { setIssueStatus } from "../../../services/issues";
import { requireAdmin } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { idParam } from "../schemas";
import { IssueView } from "./shared";
import { findIssue } from "../../../services/access";

const Body = z.strictObject({
  status: z.enum(["acknowledged", "resolved"]).openapi({
    description:
      "`acknowledged`: someone is on it; the issue stays open to its condition (and still resolves by itself) but its escalations are no longer notified. " +
      "`resolved`: closed now and notified; if the condition persists or recurs, a new issue opens.",
  }),
});

const route = createRoute({
  method: "patch",
  path: "/v1/issues/{id}",
  tags: ["alerts"],
  summary: "Acknowledge or resolve an issue",
  description: "The operator's (admin token). Asking for the status an issue already has changes nothing; a resolved issue cannot be acknowledged (409).",
  request: { params: idParam("iss", "iss_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"), body: { required: true, content: { "application/json": { schema: Body } } } },
  responses: {
    200: { description: "The issue", content: { "application/json": { schema: IssueView } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    requireAdmin(c);
    const { id } = c.req.valid("param");
    const { status } = c.req.valid("json");
    await findIssue(c.var, id);
    const r = await setIssueStatus(c.env, c.var.db, id, status);
    if (!r.ok) {
      if (r.error === "not_found") throw new RelayError("not_found", `Issue ${id} not found.`);
      throw new RelayError("conflict", `Issue ${id} is already resolved; a recurrence of its condition opens a new issue.`);
    }
    return c.json(issueView(r.row), 200);
  });
}
