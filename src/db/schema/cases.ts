import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, primaryKey } from "drizzle-orm/sqlite-core";

/**
 * A provider entity the relay has seen. It changes only when a case is created, opens or closes,
 * when the cron reschedules its reconcile check, and when retention deletes its old events (which
 * moves their highest sequence into last_sequence), so no row is written per event.
 * WITHOUT ROWID (migration 0003): the primary key is the table's only b-tree.
 */
export const cases = sqliteTable(
  "cases",
  {
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    customerId: text("customer_id").notNull(),
    terminal: integer("terminal", { mode: "boolean" }).notNull(),
    /** Highest sequence among the case's events deleted by retention: numbering never restarts. */
    lastSequence: integer("last_sequence").notNull().default(0),
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
