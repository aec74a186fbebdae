/** The case's record as callers read it: receipts, events and deliveries, from the object's storage. */
import { timeOfId } from "../lib/ids";
import type { CaseStore, DeliveryRef, ReceiptRow } from "./storage";
import type { CaseKey, CaseTrail, DeliveryRecord, EventRecord, ReceiptRecord } from "./types";

/** Receipts a trail shows at most (newest first). */
export const RECEIPT_LIMIT = 500;

const iso = (ms: number) => new Date(ms).toISOString();

export function eventRecord(row: ReceiptRow, key: CaseKey, customerId: string): EventRecord {
  return {
    id: row.eventId!,
    customerId,
    sourceId: key.sourceId,
    caseId: key.caseId,
    sequence: row.sequence!,
    type: row.type!,
    status: row.status!,
    receiptId: row.id,
    createdAt: row.envelope ? Date.parse(row.envelope.timestamp) : timeOfId(row.eventId!),
    payload: row.envelope!,
  };
}

export const deliveryRecord = (ref: DeliveryRef): DeliveryRecord => ({ ...ref.delivery, event_id: ref.eventId, sequence: ref.sequence });

export function receiptRecord(row: ReceiptRow): ReceiptRecord {
  let body: unknown = null;
  try {
    body = row.body === null ? null : JSON.parse(row.body);
  } catch {
    body = null;
  }
  return {
    id: row.id,
    kind: row.kind,
    event_type: row.providerEventType,
    provider_event_id: row.providerEventId,
    version: row.version,
    received_at: iso(row.receivedAt),
    outcome: row.outcome,
    reason: row.reason,
    detail: row.detail,
    event_id: row.outcome === "forwarded" ? row.eventId : null,
    duplicate_count: row.duplicateCount,
    duplicates: row.duplicates.map((d) => ({ id: d.id, received_at: iso(d.received_at) })),
    body,
  };
}

export function trailOf(store: CaseStore, key: CaseKey, customerId: string): CaseTrail {
  const rows = store.allReceipts();
  const facts = store.facts();
  const events = rows.filter((r) => r.sequence !== null && r.envelope).sort((a, b) => a.sequence! - b.sequence!);
  return {
    exists: rows.length > 0 || facts.lastSequence > 0,
    status: facts.lastForwarded?.status ?? null,
    sequence: facts.lastSequence,
    terminal: store.terminal(),
    receipts: rows.slice(-RECEIPT_LIMIT).reverse().map(receiptRecord),
    events: events.map((r) => eventRecord(r, key, customerId)),
    deliveries: events.flatMap((r) => r.deliveries.map((delivery) => deliveryRecord({ n: r.n, sequence: r.sequence!, eventId: r.eventId!, delivery }))),
  };
}
