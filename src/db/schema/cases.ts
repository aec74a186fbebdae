import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, primaryKey } from "drizzle-orm/sqlite-core";

/**
 * A provider entity the relay has seen. The CaseObject keeps the live state (sequence,
 * versions, fingerprint); this row changes only when a case is created, opens or closes,
 * and when the cron reschedules its reconcile check, so no row is written per event.
 */
export const cases = sqliteTable(
  "cases",
  {
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    customerId: text("customer_id").notNull(),
    terminal: integer("terminal", { mode: "boolean" }).notNull(),
    /** When the cron should next ask the case object whether it is due for a reconcile. */
    checkAfter: integer("check_after").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.sourceId, t.caseId] }),
    index("cases_open_check_after").on(t.checkAfter).where(sql`terminal = 0`),
  ],
);
