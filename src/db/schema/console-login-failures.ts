import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

/**
 * Failed console logins per client, in fixed windows (src/http/console/throttle.ts): at most
 * LOGIN_FAILURE_LIMIT wrong tokens per client per window, then 429 until the window ends.
 */
export const consoleLoginFailures = sqliteTable(
  "console_login_failures",
  {
    /** The client's address (cf-connecting-ip; an IPv6 address by its /64). */
    client: text("client").primaryKey(),
    windowStartedAt: integer("window_started_at").notNull(),
    failures: integer("failures").notNull(),
  },
  // Old windows are pruned by start time.
  (t) => [index("console_login_failures_window").on(t.windowStartedAt)],
);
