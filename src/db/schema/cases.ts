import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { STATUSES } from "../../domain";

/**
 * The index of cases, for the reconcile cron and the console; the case itself lives in its
 * object. A row is written when a case is first seen and when its status or openness changes, and
 * the cron moves check_after: never once per event. WITHOUT ROWID (a custom migration): the
 * primary key is the table's b-tree.
 */
export const cases = sqliteTable(
  "cases",
  {
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    customerId: text("customer_id").notNull(),
    status: text("status", { enum: STATUSES }).notNull(),
    terminal: integer("terminal", { mode: "boolean" }).notNull(),
    /** When the cron next asks the case object whether the case is due for a reconcile. */
    checkAfter: integer("check_after").notNull(),
    /** Reconcile runs that failed in a row; past the bound the case is flagged and left alone. */
    reconcileFailures: integer("reconcile_failures").notNull().default(0),
    /** Why the last reconcile failed (a code and a safe message). */
    reconcileError: text("reconcile_error"),
    createdAt: integer("created_at").notNull(),
    /** When the row last changed: the case's last status change. */
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.caseId] }), index("cases_open_check_after").on(t.checkAfter).where(sql`terminal = 0`)],
);
