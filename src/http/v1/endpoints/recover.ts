import { createRoute, z } from "@hono/zod-openapi";
import { recoverEndpoint } from "../../../services/operations";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { findEndpoint } from "../../../services/access";

const route = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/recover",
  tags: ["endpoints"],
  summary: "Re-send failed deliveries",
  description:
    "Sends again every delivery to this endpoint that ended `failed` and was created at or after `since`, however many, each with a fresh retry schedule, in order per case. `requeued` says how many were marked; they go out in the background (the cron finishes what the request starts).",
  request: {
    params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"),
    body: {
      required: true,
      content: { "application/json": { schema: z.strictObject({ since: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-20T00:00:00Z" }) }) } },
    },
  },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: z.object({ requeued: z.number().int() }) } } },
    ...errorResponses(401, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const requeued = await recoverEndpoint(c.env, c.executionCtx, await findEndpoint(c.var, id), Date.parse(c.req.valid("json").since));
    return c.json({ requeued }, 202);
  });
}
