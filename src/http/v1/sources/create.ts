import { createRoute, z } from "@hono/zod-openapi";
import { sources } from "../../../db/schema";
import { DEFAULT_RECONCILE_AFTER_SECONDS, DEFAULT_SILENCE_AFTER_SECONDS } from "../../../domain";
import { encryptJson } from "../../../lib/crypto";
import { newId } from "../../../lib/ids";
import { removeIfOverCap } from "../../../services/limits";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { CustomerIdField, SourceView } from "../schemas";
import { perProvider, ReconcileAfter, sentConfig, SilenceAfter, sourceView, validateConfig } from "./shared";
import { findCustomer } from "../../../services/access";

/** One variant per provider, each with that adapter's own config schema. */
const Body = perProvider("CreateSource", {
  customer_id: CustomerIdField,
  name: z.string().trim().min(1).max(200),
  reconcile_after_seconds: ReconcileAfter.optional(),
  silence_after_seconds: SilenceAfter.optional(),
});

const route = createRoute({
  method: "post",
  path: "/v1/sources",
  tags: ["sources"],
  summary: "Connect a provider account",
  description:
    "Returns the `ingest_url` to give the provider. Credentials in `config` are encrypted at rest and never returned. " +
    "A customer has at most MAX_SOURCES_PER_CUSTOMER sources (default 50).",
  request: { body: { required: true, content: { "application/json": { schema: Body } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: SourceView } } },
    ...errorResponses(400, 401, 404, 409, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    // Stored as sent (the adapter parses it again on every load), so its defaults can evolve.
    const config = await sentConfig(c);
    await findCustomer(c.var, body.customer_id);
    validateConfig(c, body.provider, config);
    const now = Date.now();
    const id = newId("src");
    const cap = c.var.config.maxSourcesPerCustomer;
    const [[row], overCap] = await c.var.db.batch([
      c.var.db
        .insert(sources)
        .values({
          id,
          customerId: body.customer_id,
          provider: body.provider,
          name: body.name,
          configEnc: await encryptJson(c.var.config.encryptionKey, config),
          reconcileAfterSeconds: body.reconcile_after_seconds ?? DEFAULT_RECONCILE_AFTER_SECONDS,
          silenceAfterSeconds: body.silence_after_seconds ?? DEFAULT_SILENCE_AFTER_SECONDS,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      removeIfOverCap(c.var.db, sources, id, body.customer_id, cap),
    ]);
    if (overCap.length || !row) {
      throw new RelayError(
        "limit_reached",
        `Customer ${body.customer_id} already has ${cap} sources, the most allowed (MAX_SOURCES_PER_CUSTOMER): delete one first.`,
      );
    }
    return c.json(await sourceView(c, row), 201);
  });
}
