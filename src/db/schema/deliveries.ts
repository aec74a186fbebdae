import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The statuses the index keeps: deliveries that were not settled by their first attempt. */
export const INDEXED_DELIVERY_STATUSES = ["retrying", "failed", "held", "recovering"] as const;

/**
 * The index of deliveries that need an operator's eye or hand: retrying, failed (recoverable),
 * held (released when the endpoint resumes), and failed ones an operator asked to recover. A
 * delivery settled by its first attempt, the common case, never gets a row; one that settles later
 * loses its row. The delivery itself, with its attempts, lives in its case object.
 */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    eventId: text("event_id").notNull(),
    sequence: integer("sequence").notNull(),
    status: text("status", { enum: INDEXED_DELIVERY_STATUSES }).notNull(),
    replay: integer("replay", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("deliveries_endpoint_status").on(t.endpointId, t.status, t.createdAt)],
);
