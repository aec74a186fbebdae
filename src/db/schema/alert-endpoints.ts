import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { IssueKind } from "../../domain";

/**
 * Where operational notifications go (src/alerts/notifier.ts): the operator's (customer_id null)
 * receive every issue; a customer's, only issues about its own endpoints and deliveries.
 */
export const alertEndpoints = sqliteTable(
  "alert_endpoints",
  {
    id: text("id").primaryKey(),
    /** Null: the operator's. */
    customerId: text("customer_id"),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    /** Only these kinds (null: every kind this owner may receive). */
    kinds: text("kinds", { mode: "json" }).$type<IssueKind[]>(),
    /** Standard Webhooks signing secret (whsec_...), encrypted. */
    secretEnc: text("secret_enc").notNull(),
    lastSuccessAt: integer("last_success_at"),
    lastFailureAt: integer("last_failure_at"),
    /** Why the last attempt failed (a status code or an error kind). */
    lastFailure: text("last_failure"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("alert_endpoints_customer").on(t.customerId, t.id)],
);

export type AlertEndpointRow = typeof alertEndpoints.$inferSelect;
