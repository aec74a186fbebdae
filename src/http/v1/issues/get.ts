import { createRoute } from "@hono/zod-openapi";
import { issueView } from "../../../alerts/view";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { IssueView } from "./shared";
import { findIssue } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/issues/{id}",
  tags: ["alerts"],
  summary: "Get an issue",
  request: { params: idParam("iss", "iss_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The issue", content: { "application/json": { schema: IssueView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(issueView(await findIssue(c.var, c.req.valid("param").id)), 200));
}
