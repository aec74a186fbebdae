import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { EndpointView, idParam } from "../schemas";
import { endpointView } from "./shared";
import { findEndpoint } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/endpoints/{id}",
  tags: ["endpoints"],
  summary: "Get an endpoint",
  request: { params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The endpoint", content: { "application/json": { schema: EndpointView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(endpointView(await findEndpoint(c.var, c.req.valid("param").id)), 200));
}
