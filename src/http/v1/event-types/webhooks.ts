/**
 * The OpenAPI document's `webhooks` section (OpenAPI 3.1): one entry per event type, its body the
 * envelope schema the relay builds envelopes with (src/domain/envelope.ts), with the Standard
 * Webhooks headers. Receivers generate their types from it.
 */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../domain";
import { ALERT_TYPES } from "../../../domain/issues";
import { NotificationSchema } from "../../../alerts/view";
import { EVENT_DESCRIPTIONS, WEBHOOK_SCHEMAS, exampleEnvelope } from "../../../domain/envelope";
import type { App } from "../../context";

export const WebhookHeaders = z.object({
  "webhook-id": z.string().openapi({
    description: "The event id (`data.event_id`): the same on every retry and replay of the event. Use it to process each event once.",
    example: "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6",
  }),
  "webhook-timestamp": z
    .string()
    .regex(/^\d+$/)
    .openapi({ description: "Unix seconds of this attempt (signed). Refuse values far from your clock (5 minutes) against replays.", example: "1795860000" }),
  "webhook-signature": z.string().openapi({
    description:
      "Space-separated signatures of `{webhook-id}.{webhook-timestamp}.{body}`: `v1,<base64 HMAC-SHA256>` with each live whsec_ secret, `v1a,<base64 ed25519>` with each live signing key (verify with the endpoint's whpk_ `public_key`), as the endpoint's `signature_schemes` say. Two of a kind for 24 hours after a rotation.",
    example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
  }),
});

/** "endpoint.failing" → "EndpointFailing": the component name of its notification's schema. */
const alertName = (type: string) => type.replace(/(^|[._])(\w)/g, (_, _sep: string, c: string) => c.toUpperCase());

export function register(app: App) {
  for (const type of EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["webhooks"],
      summary: type,
      description: `${EVENT_DESCRIPTIONS[type]} Sent as a POST with \`content-type: application/json\` to each endpoint whose filter matches.`,
      request: {
        headers: WebhookHeaders,
        body: { required: true, content: { "application/json": { schema: WEBHOOK_SCHEMAS[type], example: exampleEnvelope(type) } } },
      },
      responses: {
        200: { description: "Any 2xx acknowledges the event. Answer quickly (within 15 s); anything else is retried on the schedule." },
        410: { description: "Gone: the relay disables the endpoint." },
        429: { description: "Too many requests (likewise 502, 504): the relay slows this endpoint down, honouring Retry-After." },
      },
    });
  }
  // Alert notifications go to alert endpoints (POST /v1/alert-endpoints), signed with `v1` alone.
  for (const type of ALERT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["alerts"],
      summary: `${type} (alert)`,
      description:
        'An alert notification: an issue opened, escalated or resolved (README "Alerts"). Its `webhook-id` is `data.notification_id`, signed `v1` with the alert endpoint\'s secret.',
      request: {
        headers: WebhookHeaders,
        body: {
          required: true,
          content: { "application/json": { schema: NotificationSchema.extend({ type: z.literal(type) }).openapi(`${alertName(type)}Alert`) } },
        },
      },
      responses: { 200: { description: "Any 2xx acknowledges it within 10 s; anything else is retried (10 s, 1 min, 5 min, ... 12 h), then given up." } },
    });
  }
}
