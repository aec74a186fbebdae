import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The index of receipts that could not be processed after every retry: the console shows them and
 * `POST /v1/receipts/{id}/replay` finds their case here. The receipt itself, with its body, lives
 * in its case object; the row goes when a replay processes it.
 */
export const failedReceipts = sqliteTable("failed_receipts", {
  id: text("id").primaryKey(),
  customerId: text("customer_id").notNull(),
  sourceId: text("source_id").notNull(),
  caseId: text("case_id").notNull(),
  reason: text("reason").notNull(),
  detail: text("detail").notNull(),
  failedAt: integer("failed_at").notNull(),
});

export type FailedReceiptRow = typeof failedReceipts.$inferSelect;
