import { createRoute, z } from "@hono/zod-openapi";
import { recentTests, TEST_ATTEMPTS_KEPT, testView } from "../../../services/test-sends";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam, TestSendView } from "../schemas";
import { findEndpoint } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/endpoints/{id}/tests",
  tags: ["endpoints"],
  summary: "List an endpoint's recent test sends",
  description: `Newest first; the newest ${TEST_ATTEMPTS_KEPT} are kept (and none past EVENT_RETENTION_DAYS).`,
  request: { params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "Test attempts", content: { "application/json": { schema: z.object({ data: z.array(TestSendView) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const endpoint = await findEndpoint(c.var, c.req.valid("param").id);
    return c.json({ data: (await recentTests(c.var.db, endpoint.id)).map(testView) }, 200);
  });
}
