/**
 * Per-customer caps on sources and endpoints (MAX_SOURCES_PER_CUSTOMER, MAX_ENDPOINTS_PER_CUSTOMER).
 * A new row is inserted and, in the same D1 batch (one transaction), deleted again if it took its
 * customer past the cap: concurrent creates cannot pass the cap together, and no reader ever sees
 * a row over it.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { endpoints, sources } from "../db/schema";

/** The statement to batch after the insert: returns the new row's id if it was over the cap (and is gone). */
export function removeIfOverCap(db: Db, table: typeof sources | typeof endpoints, id: string, customerId: string, cap: number) {
  return db
    .delete(table)
    .where(and(eq(table.id, id), sql`(SELECT count(*) FROM ${table} AS peers WHERE peers.customer_id = ${customerId}) > ${cap}`))
    .returning({ id: table.id });
}
