import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";

/** Bodies too big for a queue message, stored at ingest before the ack; the queue carries a reference. */
export const spooledBodies = sqliteTable("spooled_bodies", {
  receiptId: text("receipt_id").primaryKey(),
  body: text("body").notNull(),
  createdAt: integer("created_at").notNull(),
});
