import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { sources } from "../../../db/schema";
import { decryptJson, encryptJson } from "../../../lib/crypto";
import { forbiddenPatchKey, mergePatch } from "../../../services/merge-patch";
import { forgetSource } from "../../../db/control-plane";
import { isRecord } from "../../../lib/json";
import { forgetTokens } from "../../../pipeline/tokens";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { idParam, SourceView } from "../schemas";
import { ReconcileAfter, SilenceAfter, sourceView, validateConfig } from "./shared";
import { findSource } from "../../../services/access";

const Body = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  config: z.record(z.string(), z.unknown()).optional().openapi({
    description:
      "A JSON merge patch (RFC 7396) of the config: listed keys change, null removes one, the rest stay. The result must match the source's provider config (the variants of POST /v1/sources).",
  }),
  reconcile_after_seconds: ReconcileAfter.optional(),
  silence_after_seconds: SilenceAfter.optional(),
});

const route = createRoute({
  method: "patch",
  path: "/v1/sources/{id}",
  tags: ["sources"],
  summary: "Update a source",
  description:
    "Takes effect for ingest within seconds. To rotate a secret without downtime, set it to a list of the new and the old one, then to the new one alone.",
  request: { params: idParam("src", "src_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"), body: { required: true, content: { "application/json": { schema: Body } } } },
  responses: {
    200: { description: "The updated source", content: { "application/json": { schema: SourceView } } },
    ...errorResponses(400, 401, 404, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const current = await findSource(c.var, id);
    let configEnc: string | undefined;
    // Read from the body as sent: the validated copy has already dropped a top-level "__proto__".
    const sent: unknown = await c.req.json();
    const forbidden = forbiddenPatchKey(isRecord(sent) ? sent.config : undefined);
    if (forbidden !== null) {
      const key = JSON.stringify(forbidden.split(".").pop());
      throw new RelayError("validation_failed", `Invalid config patch: config.${forbidden}: the key ${key} is not allowed in a merge patch.`, [
        { path: `config.${forbidden}`, message: `the key ${key} is not allowed in a merge patch` },
      ]);
    }
    if (body.config) {
      const merged = mergePatch(await decryptJson(c.var.config.encryptionKey, current.configEnc), body.config);
      validateConfig(c, current.provider, merged);
      configEnc = await encryptJson(c.var.config.encryptionKey, merged);
    }
    const row = await c.var.db
      .update(sources)
      .set({
        name: body.name,
        configEnc,
        reconcileAfterSeconds: body.reconcile_after_seconds,
        silenceAfterSeconds: body.silence_after_seconds,
        updatedAt: Date.now(),
        // Cached refetch tokens may belong to replaced API credentials.
        ...(configEnc ? { tokenCacheEnc: null } : {}),
      })
      .where(eq(sources.id, id))
      .returning()
      .get();
    forgetSource(id);
    if (configEnc) forgetTokens(id);
    return c.json(await sourceView(c, row), 200);
  });
}
