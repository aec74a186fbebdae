import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

/** One provider account connected to the relay, with its own ingest URL. */
export const sources = sqliteTable(
  "sources",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull(),
    provider: text("provider").notNull(),
    name: text("name").notNull(),
    /** The provider config with secrets, AES-GCM encrypted (JSON inside). */
    configEnc: text("config_enc").notNull(),
    reconcileAfterSeconds: integer("reconcile_after_seconds").notNull(),
    silenceAfterSeconds: integer("silence_after_seconds").notNull(),
    /** Refetch credentials obtained from the provider (bearer tokens), encrypted. */
    tokenCacheEnc: text("token_cache_enc"),
    lastReceiptAt: integer("last_receipt_at"),
    silentSince: integer("silent_since"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("sources_customer").on(t.customerId, t.id)],
);

export type SourceRow = typeof sources.$inferSelect;
