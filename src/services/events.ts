/** Events, deliveries and receipts as the API shows them. */
import type { Delivery, Envelope } from "../domain";
import { ulidOf } from "../lib/ids";
import { deliveryView, type DeliveryRecord } from "./deliveries";

export type EventRow = {
  id: string;
  customer_id: string;
  source_id: string;
  case_id: string;
  sequence: number;
  type: string;
  status: string;
  group_id: string | null;
  receipt_id: string;
  payload: string;
  deliveries: string;
  created_at: number;
};

export type DeliveryRow = {
  id: string;
  event_id: string;
  endpoint_id: string;
  customer_id: string;
  source_id: string;
  case_id: string;
  sequence: number;
  status: string;
  replay: number;
  attempts: string;
  retry_base: number;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
};

export function eventView(r: EventRow) {
  return {
    id: r.id,
    customer_id: r.customer_id,
    source_id: r.source_id,
    case_id: r.case_id,
    sequence: r.sequence,
    type: r.type as Envelope["type"],
    status: r.status as Envelope["data"]["status"],
    receipt_id: r.receipt_id,
    created_at: new Date(r.created_at).toISOString(),
    payload: JSON.parse(r.payload) as Envelope,
  };
}

export function recordFromRow(d: DeliveryRow): DeliveryRecord {
  return { id: d.id, eventId: d.event_id, endpointId: d.endpoint_id, status: d.status, replay: d.replay === 1, attempts: JSON.parse(d.attempts), nextAttemptAt: d.next_attempt_at };
}

export function recordFromEmbedded(eventId: string, d: Delivery): DeliveryRecord {
  return { id: d.id, eventId, endpointId: d.endpoint_id, status: d.status, replay: d.replay, attempts: d.attempts, nextAttemptAt: d.next_attempt_at ? Date.parse(d.next_attempt_at) : null };
}

/**
 * An event's deliveries: the first attempts stored in the event row, overridden by the
 * deliveries table for those that went through the queue, plus replays.
 */
export function mergeDeliveries(event: EventRow, rows: DeliveryRow[]): DeliveryRecord[] {
  // First attempts in the order they were made, then replays and recoveries by creation time.
  const byId = new Map<string, DeliveryRecord>();
  for (const d of JSON.parse(event.deliveries) as Delivery[]) byId.set(d.id, recordFromEmbedded(event.id, d));
  for (const r of [...rows].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))) byId.set(r.id, recordFromRow(r));
  return [...byId.values()];
}

/** The key range of an event's delivery ids (dlv_<event ulid>...). */
export function deliveryRange(eventId: string): [string, string] {
  const u = ulidOf(eventId);
  return [`dlv_${u}`, `dlv_${u}~`];
}

export async function eventDeliveries(db: D1Database, event: EventRow) {
  const [lo, hi] = deliveryRange(event.id);
  const rows = await db.prepare("SELECT * FROM deliveries WHERE id >= ?1 AND id < ?2").bind(lo, hi).all<DeliveryRow>();
  return mergeDeliveries(event, rows.results).map(deliveryView);
}

export type EventFilter = { customerId?: string; sourceId?: string; caseId?: string; type?: string; cursor?: string; limit: number };

/**
 * A page of events, newest first, fetched with limit + 1 rows (see toPage). A case filter reads the
 * case's receipts key range (case_id needs source_id); otherwise recent events are scanned by id.
 */
export async function listEvents(db: D1Database, q: EventFilter): Promise<EventRow[]> {
  const where: string[] = [];
  const binds: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    binds.push(v);
    where.push(sql.replace("?", `?${binds.length}`));
  };
  if (q.customerId) add("e.customer_id = ?", q.customerId);
  if (q.sourceId) add("e.source_id = ?", q.sourceId);
  if (q.type) add("e.type = ?", q.type);
  if (q.cursor) add("e.id < ?", q.cursor);
  let sql: string;
  if (q.caseId) {
    add("r.case_id = ?", q.caseId);
    add("r.source_id = ?", q.sourceId);
    sql = `SELECT e.* FROM receipts r JOIN events e ON e.id = 'evt_' || substr(r.id, 5) WHERE ${where.join(" AND ")}`;
  } else {
    sql = `SELECT e.* FROM events e ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`;
  }
  binds.push(q.limit + 1);
  const rows = await db.prepare(`${sql} ORDER BY e.id DESC LIMIT ?${binds.length}`).bind(...binds).all<EventRow>();
  return rows.results;
}
