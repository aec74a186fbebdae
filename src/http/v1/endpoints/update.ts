import { createRoute, z } from "@hono/zod-openapi";
import { updateEndpoint } from "../../../services/operations";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { EndpointView, FilterSchema, idParam, RateLimitSchema, SignatureSchemesSchema } from "../schemas";
import { checkEndpointUrl, checkFilter, endpointView, signingKeyColumns } from "./shared";
import { findEndpoint } from "../../../services/access";

const Body = z.strictObject({
  url: z.string().min(1).max(2000).optional(),
  description: z.string().max(500).optional(),
  filter: FilterSchema.optional(),
  status: z
    .enum(["active", "paused"])
    .optional()
    .openapi({ description: "`paused` holds deliveries; `active` resumes (or re-enables a disabled endpoint) and sends what was held." }),
  signature_schemes: SignatureSchemesSchema.optional().openapi({
    description:
      "Switching v1a on for the first time creates the endpoint's key pair (`public_key`); switching it off keeps the key for later. To sign v1 after a v1a-only start, rotate-secret shows a secret.",
  }),
  rate_limit: RateLimitSchema.nullable().optional().openapi({ description: "Null removes the limit." }),
});

const route = createRoute({
  method: "patch",
  path: "/v1/endpoints/{id}",
  tags: ["endpoints"],
  summary: "Update, pause or resume an endpoint",
  request: { params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"), body: { required: true, content: { "application/json": { schema: Body } } } },
  responses: {
    200: { description: "The updated endpoint", content: { "application/json": { schema: EndpointView } } },
    ...errorResponses(400, 401, 404, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const current = await findEndpoint(c.var, id);
    const url = body.url === undefined ? undefined : await checkEndpointUrl(c, body.url);
    if (body.filter) await checkFilter(c, current.customerId, body.filter);
    const keys = body.signature_schemes?.includes("v1a") && !current.signingKeyEnc ? await signingKeyColumns(c.var.config.encryptionKey) : {};
    const row = await updateEndpoint(c.env, c.executionCtx, c.var.db, current, {
      url,
      description: body.description,
      filter: body.filter,
      status: body.status,
      signatureSchemes: body.signature_schemes,
      rateLimit: body.rate_limit,
      ...keys,
    });
    return c.json(endpointView(row), 200);
  });
}
