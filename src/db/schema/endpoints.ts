import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import type { EndpointFilter } from "../../domain";

/** A customer URL that receives signed events matching its filter. */
export const endpoints = sqliteTable(
  "endpoints",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull(),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    filter: text("filter", { mode: "json" }).$type<EndpointFilter>().notNull(),
    /** active | paused | disabled */
    status: text("status").notNull(),
    disabledReason: text("disabled_reason"),
    /** Current signing secret (whsec_...), encrypted. */
    secretEnc: text("secret_enc").notNull(),
    /** The secret replaced by the last rotation, still signing until previousSecretExpiresAt. */
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** Set at the first failure after a success; cleared by a success. */
    failingSince: integer("failing_since"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("endpoints_customer").on(t.customerId, t.id)],
);
