import { primaryKey, sqliteTable, integer, text } from "drizzle-orm/sqlite-core";
import { EVENT_TYPES, STATUSES } from "../../domain";

/**
 * The index of events, for listing across cases: one small row per event, the event itself (its
 * envelope, deliveries and attempts) lives in its case object. Keyed by customer, then by the
 * time-sortable id, so a customer's events are one key range and newest-first is a backwards
 * scan; WITHOUT ROWID (a custom migration) with no secondary index, so an event costs one row.
 */
export const events = sqliteTable(
  "events",
  {
    customerId: text("customer_id").notNull(),
    id: text("id").notNull(),
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    sequence: integer("sequence").notNull(),
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    status: text("status", { enum: STATUSES }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.id] })],
);

export type EventIndexRow = typeof events.$inferSelect;
