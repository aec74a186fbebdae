import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Counters for the console's activity views, added to once per queue batch (not per event). A batch
 * retried after a consumer crash may count its messages twice: these are activity figures, not a
 * ledger. WITHOUT ROWID (a custom migration).
 */
export const sourceDays = sqliteTable(
  "source_days",
  {
    sourceId: text("source_id").notNull(),
    /** UTC midnight, ms. */
    day: integer("day").notNull(),
    receipts: integer("receipts").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.day] })],
);

export const endpointHours = sqliteTable(
  "endpoint_hours",
  {
    endpointId: text("endpoint_id").notNull(),
    /** Start of the hour, ms. */
    hour: integer("hour").notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** Attempts without a 2xx. */
    failures: integer("failures").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.hour] })],
);
