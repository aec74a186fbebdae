import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";
import type { Delivery, Envelope } from "../../domain";

/**
 * One normalized, refetched state of a case. WITHOUT ROWID (migration 0001), keyed by its
 * time-sortable id only: a case's events are found through its receipts (same ULID).
 * `deliveries` holds the first attempt of each matching endpoint, made before the row is written;
 * deliveries that needed more than one try live in the deliveries table.
 */
export const events = sqliteTable("events", {
  id: text("id").primaryKey(),
  customerId: text("customer_id").notNull(),
  sourceId: text("source_id").notNull(),
  caseId: text("case_id").notNull(),
  sequence: integer("sequence").notNull(),
  type: text("type").notNull(),
  status: text("status").notNull(),
  /** Provider group (KarmaCheck groupProfileId), for endpoint filters. */
  groupId: text("group_id"),
  receiptId: text("receipt_id").notNull(),
  payload: text("payload", { mode: "json" }).$type<Envelope>().notNull(),
  deliveries: text("deliveries", { mode: "json" }).$type<Delivery[]>().notNull(),
  createdAt: integer("created_at").notNull(),
});
