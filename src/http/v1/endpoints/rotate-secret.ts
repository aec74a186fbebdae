import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { endpoints } from "../../../db/schema";
import { encryptJson } from "../../../lib/crypto";
import { forgetEndpoints } from "../../../db/control-plane";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { EndpointView, idParam } from "../schemas";
import { endpointView, newSigningSecret } from "./shared";
import { findEndpoint } from "../../../services/access";

/** How long the replaced secret keeps signing alongside the new one. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3600 * 1000;

const route = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/rotate-secret",
  tags: ["endpoints"],
  summary: "Rotate an endpoint's signing secret",
  description: "Returns the new secret once. For 24 hours every delivery carries two signatures, one per secret, so the receiver can switch without a gap.",
  request: { params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The endpoint and its new secret", content: { "application/json": { schema: EndpointView.extend({ secret: z.string() }) } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const current = await findEndpoint(c.var, id);
    const secret = newSigningSecret();
    const now = Date.now();
    const row = await c.var.db
      .update(endpoints)
      .set({
        secretEnc: await encryptJson(c.var.config.encryptionKey, secret),
        previousSecretEnc: current.secretEnc,
        previousSecretExpiresAt: now + PREVIOUS_SECRET_TTL_MS,
        updatedAt: now,
      })
      .where(eq(endpoints.id, id))
      .returning()
      .get();
    forgetEndpoints(current.customerId);
    return c.json({ ...endpointView(row), secret }, 200);
  });
}
