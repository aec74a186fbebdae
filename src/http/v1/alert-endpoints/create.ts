import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { ISSUE_KINDS } from "../../../domain/issues";
import { alertEndpoints } from "../../../db/schema";
import { encryptJson } from "../../../lib/crypto";
import { newId } from "../../../lib/ids";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { checkEndpointUrl, newSigningSecret } from "../endpoints/shared";

import { CustomerIdField } from "../schemas";
import { ALERT_TYPES_DOC } from "../issues/shared";

import { AlertEndpointView, alertEndpointView, kindsFor, MAX_ALERT_ENDPOINTS } from "./shared";
import { findCustomer } from "../../../services/access";

const Body = z.strictObject({
  url: z.string().min(1).max(2000).openapi({ example: "https://ops.example.com/caserelay-alerts" }),
  description: z.string().max(500).default(""),
  kinds: z
    .array(z.enum(ISSUE_KINDS))
    .min(1)
    .max(ISSUE_KINDS.length)
    .refine((k) => new Set(k).size === k.length, "must not repeat a kind")
    .optional()
    .openapi({ description: "Only issues of these kinds; default every kind its owner may receive." }),
  customer_id: CustomerIdField.optional().openapi({
    description:
      "The customer whose alert endpoint this is (a customer key: its own, the default). The operator omits it for an alert endpoint of its own, receiving every issue.",
  }),
});

const route = createRoute({
  method: "post",
  path: "/v1/alert-endpoints",
  tags: ["alerts"],
  summary: "Add an alert endpoint",
  description:
    "Where operational notifications go: a signed POST (Standard Webhooks) when an issue opens, escalates (at most every ALERT_REPEAT_SECONDS) or resolves. " +
    "The operator's (admin token, no customer_id) receive every issue; a customer's receive only issues about its own endpoints and deliveries (endpoint.failing, endpoint.disabled, delivery.exhausted). " +
    `The URL follows the endpoints' rules. At most ${MAX_ALERT_ENDPOINTS} per owner. The signing secret is returned once. ${ALERT_TYPES_DOC}`,
  request: { body: { required: true, content: { "application/json": { schema: Body } } } },
  responses: {
    201: {
      description: "Created",
      content: {
        "application/json": {
          schema: AlertEndpointView.extend({ secret: z.string().openapi({ description: "Standard Webhooks signing secret (whsec_...). Shown once." }) }),
        },
      },
    },
    ...errorResponses(400, 401, 404, 409, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const customerId = customerScope(c, body.customer_id) ?? null;
    if (customerId) await findCustomer(c.var, customerId);
    const allowed = kindsFor(customerId);
    const refused = (body.kinds ?? []).filter((k) => !allowed.includes(k));
    if (refused.length) {
      const message = `a customer's alert endpoint receives only issues about its own endpoints and deliveries (${allowed.join(", ")}), not ${refused.join(", ")}`;
      throw new RelayError("validation_failed", `kinds: ${message}.`, [{ path: "kinds", message }]);
    }
    const url = await checkEndpointUrl(c, body.url);
    const secret = newSigningSecret();
    const now = Date.now();
    const id = newId("ale", now);
    const owner = customerId === null ? sql`customer_id IS NULL` : sql`customer_id = ${customerId}`;
    // Inserted, and removed again in the same transaction if it took its owner past the cap.
    const [[row], overCap] = await c.var.db.batch([
      c.var.db
        .insert(alertEndpoints)
        .values({
          id,
          customerId,
          url,
          description: body.description,
          kinds: body.kinds ?? null,
          secretEnc: await encryptJson(c.var.config.encryptionKey, secret),
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      c.var.db
        .delete(alertEndpoints)
        .where(sql`${alertEndpoints.id} = ${id} AND (SELECT count(*) FROM ${alertEndpoints} AS peers WHERE peers.${owner}) > ${MAX_ALERT_ENDPOINTS}`)
        .returning({ id: alertEndpoints.id }),
    ]);
    if (overCap.length || !row) {
      throw new RelayError(
        "limit_reached",
        `${customerId ? `Customer ${customerId}` : "The operator"} already has ${MAX_ALERT_ENDPOINTS} alert endpoints, the most allowed: delete one first.`,
      );
    }
    return c.json({ ...alertEndpointView(row), secret }, 201);
  });
}
