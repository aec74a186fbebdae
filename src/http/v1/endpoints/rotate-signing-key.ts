import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { endpoints } from "../../../db/schema";
import { forgetEndpoints } from "../../../db/control-plane";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { EndpointView, idParam } from "../schemas";
import { PREVIOUS_SECRET_TTL_MS } from "./rotate-secret";
import { endpointView, signingKeyColumns } from "./shared";
import { findEndpoint } from "../../../services/access";

const route = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/rotate-signing-key",
  tags: ["endpoints"],
  summary: "Rotate an endpoint's v1a signing key",
  description:
    "Creates a new ed25519 key pair: `public_key` is the new one, `previous_public_key` the old one. For 24 hours every delivery carries a v1a signature by each key, so receivers can move to the new public key without a gap. The signing keys never leave the relay.",
  request: { params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The endpoint with its new public key", content: { "application/json": { schema: EndpointView } } },
    ...errorResponses(401, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const current = await findEndpoint(c.var, id);
    if (!current.signatureSchemes.includes("v1a") || !current.signingKeyEnc) {
      throw new RelayError("conflict", `Endpoint ${id} does not sign with v1a: PATCH signature_schemes to include "v1a" first.`);
    }
    const now = Date.now();
    const row = await c.var.db
      .update(endpoints)
      .set({
        ...(await signingKeyColumns(c.var.config.encryptionKey)),
        previousSigningKeyEnc: current.signingKeyEnc,
        previousPublicKey: current.publicKey,
        previousSigningKeyExpiresAt: now + PREVIOUS_SECRET_TTL_MS,
        updatedAt: now,
      })
      .where(eq(endpoints.id, id))
      .returning()
      .get();
    forgetEndpoints(current.customerId);
    return c.json(endpointView(row), 200);
  });
}
