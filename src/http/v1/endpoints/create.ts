import { createRoute, z } from "@hono/zod-openapi";
import { endpoints } from "../../../db/schema";
import { encryptJson } from "../../../lib/crypto";
import { newId } from "../../../lib/ids";
import { forgetEndpoints } from "../../../db/control-plane";
import { removeIfOverCap } from "../../../services/limits";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { CustomerIdField, EndpointView, FilterSchema, RateLimitSchema, SignatureSchemesSchema } from "../schemas";
import { checkEndpointUrl, checkFilter, endpointView, newSigningSecret, signingKeyColumns } from "./shared";
import { findCustomer } from "../../../services/access";

const Body = z.strictObject({
  customer_id: CustomerIdField,
  url: z.string().min(1).max(2000).openapi({ example: "https://hooks.example.com/caserelay" }),
  description: z.string().max(500).default(""),
  filter: FilterSchema.default({}),
  signature_schemes: SignatureSchemesSchema.default(["v1"]),
  rate_limit: RateLimitSchema.nullable().default(null),
});

const route = createRoute({
  method: "post",
  path: "/v1/endpoints",
  tags: ["endpoints"],
  summary: "Add a customer endpoint",
  description:
    "Deployed, the URL must be https and must not point at a private, loopback or link-local address, nor at this relay itself. " +
    "A customer has at most MAX_ENDPOINTS_PER_CUSTOMER endpoints (default 50). The v1 signing secret is returned once (only when the endpoint signs with v1); " +
    "a v1a endpoint's public key is `public_key`, returned every time, while its signing key never leaves the relay.",
  request: { body: { required: true, content: { "application/json": { schema: Body } } } },
  responses: {
    201: {
      description: "Created",
      content: {
        "application/json": {
          schema: EndpointView.extend({
            secret: z
              .string()
              .optional()
              .openapi({ description: "Standard Webhooks signing secret (whsec_...) for v1. Shown once; absent when the endpoint does not sign with v1." }),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 404, 409, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    await findCustomer(c.var, body.customer_id);
    const url = await checkEndpointUrl(c, body.url);
    await checkFilter(c, body.customer_id, body.filter);
    // A secret exists for every endpoint, so v1 can be switched on later (rotate-secret then shows one).
    const secret = newSigningSecret();
    const keys = body.signature_schemes.includes("v1a") ? await signingKeyColumns(c.var.config.encryptionKey) : {};
    const now = Date.now();
    const id = newId("ep");
    const cap = c.var.config.maxEndpointsPerCustomer;
    const [[row], overCap] = await c.var.db.batch([
      c.var.db
        .insert(endpoints)
        .values({
          id,
          customerId: body.customer_id,
          url,
          description: body.description,
          filter: body.filter,
          status: "active",
          secretEnc: await encryptJson(c.var.config.encryptionKey, secret),
          signatureSchemes: body.signature_schemes,
          ...keys,
          rateLimit: body.rate_limit,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      removeIfOverCap(c.var.db, endpoints, id, body.customer_id, cap),
    ]);
    if (overCap.length || !row) {
      throw new RelayError(
        "limit_reached",
        `Customer ${body.customer_id} already has ${cap} endpoints, the most allowed (MAX_ENDPOINTS_PER_CUSTOMER): delete one first.`,
      );
    }
    forgetEndpoints(body.customer_id);
    return c.json({ ...endpointView(row), ...(body.signature_schemes.includes("v1") ? { secret } : {}) }, 201);
  });
}
