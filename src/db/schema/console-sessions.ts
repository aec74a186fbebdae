import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";

/**
 * Operator console sessions. The cookie carries the session id signed with a key derived from
 * ADMIN_TOKEN and ENCRYPTION_KEY; a session is live only while its row says so, so logging out
 * ends it on the server too, not just in the browser that logged out.
 */
export const consoleSessions = sqliteTable("console_sessions", {
  /** HMAC-SHA256 (base64url) of the session id under the session key: rotating either secret orphans every row. */
  idHash: text("id_hash").primaryKey(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  /** Set by logout. */
  revokedAt: integer("revoked_at"),
});
