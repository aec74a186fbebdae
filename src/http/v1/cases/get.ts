import { createRoute, z } from "@hono/zod-openapi";
import { RECEIPT_OUTCOMES } from "../../../domain";
import { loadCase } from "../../../services/cases";
import { deliveryView, eventView } from "../../../services/events";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { DeliveryView, EventView, SourceIdField, Timestamp } from "../schemas";
import { findSource } from "../../../services/access";

const ReceiptView = z
  .object({
    id: z.string(),
    kind: z.enum(["webhook", "reconcile"]),
    event_type: z.string(),
    provider_event_id: z.string().nullable(),
    version: z.string().nullable(),
    received_at: Timestamp,
    outcome: z.enum(RECEIPT_OUTCOMES),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "Why, as a stable code: stale, unchanged, gone, refetch_failed, refetch_rejected, dead_lettered, source_deleted, ..." }),
    detail: z.string().nullable(),
    event_id: z.string().nullable(),
    duplicate_count: z.number().int(),
    duplicates: z.array(z.object({ id: z.string(), received_at: Timestamp })),
    body: z.unknown().openapi({ description: "The body as received, credentials stripped; null once retention purged it." }),
  })
  .openapi("Receipt");

const CaseView = z
  .object({
    source_id: z.string(),
    case_id: z.string(),
    customer_id: z.string(),
    status: z.string().nullable(),
    sequence: z.number().int(),
    terminal: z.boolean(),
    receipts: z.array(ReceiptView),
    events: z.array(EventView),
    deliveries: z.array(DeliveryView),
  })
  .openapi("Case");

const route = createRoute({
  method: "get",
  path: "/v1/cases/{source_id}/{case_id}",
  tags: ["cases"],
  summary: "A case's audit trail",
  description: "Every receipt with its outcome (forwarded, duplicate count, stale, unchanged, failed), every event, every delivery.",
  request: {
    params: z.object({
      source_id: SourceIdField.openapi({ param: { name: "source_id", in: "path" } }),
      case_id: z
        .string()
        .min(1)
        .max(300)
        .openapi({ param: { name: "case_id", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "The case", content: { "application/json": { schema: CaseView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { source_id, case_id } = c.req.valid("param");
    const source = await findSource(c.var, source_id);
    const trail = await loadCase(c.env, source_id, case_id);
    return c.json(
      {
        source_id,
        case_id,
        customer_id: source.customerId,
        status: trail.status,
        sequence: trail.sequence,
        terminal: trail.terminal,
        receipts: trail.receipts,
        events: trail.events.map(eventView),
        deliveries: trail.deliveries.map(deliveryView),
      },
      200,
    );
  });
}
