/** A case's audit trail (receipts, events, deliveries), as the admin API and the console show it. */
import type { Envelope } from "../domain";
import { mergeDeliveries, type DeliveryRow, type EventRow } from "./events";
import type { DeliveryRecord } from "./deliveries";

/** Receipts a case view shows at most (newest first). */
export const RECEIPT_LIMIT = 500;

export type ReceiptRecord = {
  id: string;
  kind: "webhook" | "reconcile";
  event_type: string | null;
  provider_event_id: string | null;
  version: string | null;
  received_at: string;
  outcome: "pending" | "forwarded" | "stale" | "unchanged" | "failed";
  detail: string | null;
  event_id: string | null;
  duplicate_count: number;
  duplicates: { id: string; received_at: string }[];
  /** The body as received, credentials stripped; null once retention purged it. */
  body: unknown;
};

export type CaseTrail = {
  status: string | null;
  sequence: number;
  terminal: boolean;
  /** Newest first, at most RECEIPT_LIMIT. */
  receipts: ReceiptRecord[];
  /** By sequence. */
  events: EventRow[];
  /** Every event's deliveries (first attempts, retries, replays), in event order. */
  deliveries: DeliveryRecord[];
};

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

const iso = (ms: number) => new Date(ms).toISOString();

/** One D1 round trip: the receipts' key prefix, their events (same ULID), queued deliveries, the case row. */
export async function loadCase(db: D1Database, sourceId: string, caseId: string): Promise<CaseTrail> {
  const [receipts, events, queued, row] = await db.batch([
    db
      .prepare(
        `SELECT r.*, e.id AS event_id FROM receipts r LEFT JOIN events e ON e.id = 'evt_' || substr(r.id, 5)
          WHERE r.source_id = ?1 AND r.case_id = ?2 ORDER BY r.id DESC LIMIT ${RECEIPT_LIMIT}`,
      )
      .bind(sourceId, caseId),
    db
      .prepare(`SELECT e.* FROM receipts r JOIN events e ON e.id = 'evt_' || substr(r.id, 5) WHERE r.source_id = ?1 AND r.case_id = ?2 ORDER BY e.sequence`)
      .bind(sourceId, caseId),
    db.prepare("SELECT * FROM deliveries WHERE source_id = ?1 AND case_id = ?2").bind(sourceId, caseId),
    db.prepare("SELECT terminal FROM cases WHERE source_id = ?1 AND case_id = ?2").bind(sourceId, caseId),
  ]);
  const eventRows = events!.results as EventRow[];
  const deliveryRows = queued!.results as DeliveryRow[];
  const last = eventRows.at(-1);
  return {
    status: last ? (JSON.parse(last.payload) as Envelope).data.status : null,
    sequence: last?.sequence ?? 0,
    terminal: ((row!.results[0] as { terminal: number } | undefined)?.terminal ?? 0) === 1,
    receipts: (receipts!.results as ReceiptRow[]).map((r) => ({
      id: r.id,
      kind: r.kind,
      event_type: r.event_type,
      provider_event_id: r.provider_event_id,
      version: r.version,
      received_at: iso(r.received_at),
      outcome: (r.outcome ?? (r.event_id ? "forwarded" : "pending")) as ReceiptRecord["outcome"],
      detail: r.detail,
      event_id: r.event_id,
      duplicate_count: r.duplicate_count,
      duplicates: (JSON.parse(r.duplicates) as { id: string; received_at: number }[]).map((d) => ({ id: d.id, received_at: iso(d.received_at) })),
      body: r.body === null ? null : JSON.parse(r.body),
    })),
    events: eventRows,
    deliveries: eventRows.flatMap((e) => mergeDeliveries(e, deliveryRows.filter((d) => d.event_id === e.id))),
  };
}
