import { createRoute, z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../domain";
import { EVENT_DESCRIPTIONS, EnvelopeSchema, WEBHOOK_SCHEMAS, exampleEnvelope } from "../../../domain/envelope";
import type { App } from "../../context";
import { errorResponses } from "../../errors";

const EventTypeView = z
  .object({
    type: z.enum(EVENT_TYPES),
    description: z.string(),
    schema: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The envelope of this type as JSON Schema (draft 2020-12); the same as its entry under `webhooks` in /v1/openapi.json." }),
    example: EnvelopeSchema,
  })
  .openapi("EventType");

const route = createRoute({
  method: "get",
  path: "/v1/event-types",
  tags: ["event types"],
  summary: "List the event types endpoints receive",
  description: "Each outbound event type with what it means, its envelope's schema and an example. The OpenAPI document describes the same under `webhooks`.",
  responses: {
    200: { description: "The event catalog", content: { "application/json": { schema: z.object({ data: z.array(EventTypeView) }) } } },
    ...errorResponses(401),
  },
});

/** Built once: the catalog does not change while the Worker runs. */
let catalog: z.infer<typeof EventTypeView>[] | undefined;

export function register(app: App) {
  app.openapi(route, (c) => {
    catalog ??= EVENT_TYPES.map((type) => ({
      type,
      description: EVENT_DESCRIPTIONS[type],
      schema: z.toJSONSchema(WEBHOOK_SCHEMAS[type], { target: "draft-2020-12", unrepresentable: "any" }) as Record<string, unknown>,
      example: exampleEnvelope(type),
    }));
    return c.json({ data: catalog }, 200);
  });
}
