import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { AlertEndpointView, alertEndpointView } from "./shared";
import { findAlertEndpoint } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/alert-endpoints/{id}",
  tags: ["alerts"],
  summary: "Get an alert endpoint",
  description: "With when it last received a notification and when, and why, one last failed.",
  request: { params: idParam("ale", "ale_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The alert endpoint", content: { "application/json": { schema: AlertEndpointView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(alertEndpointView(await findAlertEndpoint(c.var, c.req.valid("param").id)), 200));
}
