import { sqliteTable, text, integer, primaryKey } from "drizzle-orm/sqlite-core";

/**
 * One accepted provider webhook (or one reconcile run that found a change), credentials stripped.
 * The row is also the dedupe key: its primary key is the provider's dedupe rule, so claiming a
 * key and recording the receipt are one row written. The table is WITHOUT ROWID (migration 0001):
 * the primary key is the only b-tree, and the case's audit trail is a prefix scan of it.
 * The event a receipt produced has the same ULID: evt_<ulid of rcv_>.
 */
export const receipts = sqliteTable(
  "receipts",
  {
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    id: text("id").notNull(),
    customerId: text("customer_id").notNull(),
    /** webhook | reconcile */
    kind: text("kind").notNull(),
    providerEventId: text("provider_event_id"),
    eventType: text("event_type"),
    /** Which thing inside the case the event is about: "case" or "check:<id>". */
    subject: text("subject").notNull(),
    version: text("version"),
    receivedAt: integer("received_at").notNull(),
    bodySha256: text("body_sha256"),
    /** Redacted body; purged after RECEIPT_BODY_RETENTION_DAYS. */
    body: text("body"),
    /** null while pending or once forwarded (an event evt_<same ulid> exists); else stale | unchanged | failed. */
    outcome: text("outcome"),
    detail: text("detail"),
    duplicateCount: integer("duplicate_count").notNull().default(0),
    /** The last few duplicates: [{ id, received_at }]. */
    duplicates: text("duplicates", { mode: "json" }).$type<{ id: string; received_at: number }[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.caseId, t.dedupeKey] })],
);
