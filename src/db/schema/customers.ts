import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

/** A tenant: owns sources and endpoints, never sees another customer's data. */
export const customers = sqliteTable(
  "customers",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** SHA-256 (hex) of the customer's API key; the key itself is shown once. */
    apiKeyHash: text("api_key_hash").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("customers_api_key_hash").on(t.apiKeyHash)],
);

export type CustomerRow = typeof customers.$inferSelect;
