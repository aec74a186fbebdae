import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import { ENDPOINT_STATUSES, type EndpointFilter, type RateLimit, type SignatureScheme } from "../../domain";

/** A customer URL that receives signed events matching its filter. */
export const endpoints = sqliteTable(
  "endpoints",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id").notNull(),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    filter: text("filter", { mode: "json" }).$type<EndpointFilter>().notNull(),
    status: text("status", { enum: ENDPOINT_STATUSES }).notNull(),
    disabledReason: text("disabled_reason"),
    /** Current signing secret (whsec_...), encrypted. */
    secretEnc: text("secret_enc").notNull(),
    /** The secret replaced by the last rotation, still signing until previousSecretExpiresAt. */
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** Set at the first failure after a success; cleared by a success. */
    failingSince: integer("failing_since"),
    /** v1 (whsec_ secret), v1a (ed25519 key), or both. */
    signatureSchemes: text("signature_schemes", { mode: "json" }).$type<SignatureScheme[]>().notNull().default(["v1"]),
    /** The v1a signing key (whsk_..., the ed25519 seed), encrypted; created when the endpoint first signs with v1a. */
    signingKeyEnc: text("signing_key_enc"),
    /** Its public key (whpk_...), public by design: receivers verify with it. */
    publicKey: text("public_key"),
    /** The key pair replaced by the last rotate-signing-key, still signing until previousSigningKeyExpiresAt. */
    previousSigningKeyEnc: text("previous_signing_key_enc"),
    previousPublicKey: text("previous_public_key"),
    previousSigningKeyExpiresAt: integer("previous_signing_key_expires_at"),
    /** Flow control (src/flow); null: no limit, and no limiter is asked. */
    rateLimit: text("rate_limit", { mode: "json" }).$type<RateLimit>(),
    /** The endpoint answered 429, 502 or 504: every case object defers attempts to it until then. */
    throttledUntil: integer("throttled_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("endpoints_customer").on(t.customerId, t.id)],
);

export type EndpointRow = typeof endpoints.$inferSelect;
