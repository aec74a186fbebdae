import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { sources } from "../../../db/schema";
import { forgetSource } from "../../../db/control-plane";
import { subjectGone } from "../../../services/issues";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam } from "../schemas";
import { findSource } from "../../../services/access";

const route = createRoute({
  method: "delete",
  path: "/v1/sources/{id}",
  tags: ["sources"],
  summary: "Disconnect a source",
  description: "Its ingest URL answers 404 within seconds. Receipts and events already recorded stay until retention removes them.",
  request: { params: idParam("src", "src_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "Deleted", content: { "application/json": { schema: z.object({ id: z.string(), deleted: z.literal(true) }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    await findSource(c.var, id);
    await c.var.db.delete(sources).where(eq(sources.id, id));
    forgetSource(id);
    await subjectGone(c.env, id, "the source was deleted");
    return c.json({ id, deleted: true as const }, 200);
  });
}
