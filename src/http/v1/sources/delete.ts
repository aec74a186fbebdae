import { eq } from "drizzle-orm";
import { sources } from "../../../db/schema";
import { forgetSource } from "../../../db/control-plane";
import { subjectGone } from "../../../services/issues";
import type { App } from "../../context";
import { deleteRoute } from "../routes";
import { findSource } from "../../../services/access";

const route = deleteRoute({
  path: "/v1/sources/{id}",
  tag: "sources",
  summary: "Disconnect a source",
  description: "Its ingest URL answers 404 within seconds. Receipts and events already recorded stay until retention removes them.",
  prefix: "src",
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
