import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam, SourceView } from "../schemas";
import { sourceView } from "./shared";
import { findSource } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/sources/{id}",
  tags: ["sources"],
  summary: "Get a source",
  description: "With its health: `last_receipt_at` and `silent_since`.",
  request: { params: idParam("src", "src_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The source", content: { "application/json": { schema: SourceView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(await sourceView(c, await findSource(c.var, c.req.valid("param").id)), 200));
}
