import { createRoute, z } from "@hono/zod-openapi";
import { deliveryView } from "../../../services/deliveries";
import { eventView, mergeDeliveries, type DeliveryRow, type EventRow } from "../../../services/events";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { iso } from "../../pagination";
import { findSource } from "../sources/shared";
import { DeliveryView, EventView, SourceIdField, Timestamp } from "../schemas";

/** Receipts a case view shows at most (newest first). */
const RECEIPT_LIMIT = 500;

const ReceiptView = z
  .object({
    id: z.string(),
    kind: z.enum(["webhook", "reconcile"]),
    event_type: z.string().nullable(),
    provider_event_id: z.string().nullable(),
    version: z.string().nullable(),
    received_at: Timestamp,
    outcome: z.enum(["pending", "forwarded", "stale", "unchanged", "failed"]),
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
      case_id: z.string().min(1).max(300).openapi({ param: { name: "case_id", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "The case", content: { "application/json": { schema: CaseView } } },
    ...errorResponses(401, 404, 422),
  },
});

type ReceiptRow = {
  id: string;
  kind: "webhook" | "reconcile";
  event_type: string | null;
  provider_event_id: string | null;
  version: string | null;
  received_at: number;
  outcome: string | null;
  detail: string | null;
  duplicate_count: number;
  duplicates: string;
  body: string | null;
  event_id: string | null;
};

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { source_id, case_id } = c.req.valid("param");
    const source = await findSource(c, source_id);
    const [receipts, events, queued, row] = await c.env.DB.batch([
      c.env.DB.prepare(
        `SELECT r.*, e.id AS event_id FROM receipts r LEFT JOIN events e ON e.id = 'evt_' || substr(r.id, 5)
          WHERE r.source_id = ?1 AND r.case_id = ?2 ORDER BY r.id DESC LIMIT ${RECEIPT_LIMIT}`,
      ).bind(source_id, case_id),
      c.env.DB.prepare(
        `SELECT e.* FROM receipts r JOIN events e ON e.id = 'evt_' || substr(r.id, 5) WHERE r.source_id = ?1 AND r.case_id = ?2 ORDER BY e.sequence`,
      ).bind(source_id, case_id),
      c.env.DB.prepare("SELECT * FROM deliveries WHERE source_id = ?1 AND case_id = ?2").bind(source_id, case_id),
      c.env.DB.prepare("SELECT terminal FROM cases WHERE source_id = ?1 AND case_id = ?2").bind(source_id, case_id),
    ]);
    const eventRows = events!.results as EventRow[];
    const deliveryRows = queued!.results as DeliveryRow[];
    const last = eventRows.at(-1);
    const deliveries = eventRows.flatMap((e) => mergeDeliveries(e, deliveryRows.filter((d) => d.event_id === e.id)));
    return c.json(
      {
        source_id,
        case_id,
        customer_id: source.customerId,
        status: last ? (JSON.parse(last.payload) as { data: { status: string } }).data.status : null,
        sequence: last?.sequence ?? 0,
        terminal: ((row!.results[0] as { terminal: number } | undefined)?.terminal ?? 0) === 1,
        receipts: (receipts!.results as ReceiptRow[]).map((r) => ({
          id: r.id,
          kind: r.kind,
          event_type: r.event_type,
          provider_event_id: r.provider_event_id,
          version: r.version,
          received_at: iso(r.received_at) as string,
          outcome: (r.outcome ?? (r.event_id ? "forwarded" : "pending")) as "pending",
          detail: r.detail,
          event_id: r.event_id,
          duplicate_count: r.duplicate_count,
          duplicates: (JSON.parse(r.duplicates) as { id: string; received_at: number }[]).map((d) => ({ id: d.id, received_at: iso(d.received_at) as string })),
          body: r.body === null ? null : JSON.parse(r.body),
        })),
        events: eventRows.map(eventView),
        deliveries: deliveries.map(deliveryView),
      },
      200,
    );
  });
}
