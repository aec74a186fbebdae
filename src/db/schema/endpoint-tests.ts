import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Test sends (POST /v1/endpoints/{id}/test): each is one attempt of an example event, recorded
 * here and nowhere as an event. The newest TEST_ATTEMPTS_KEPT per endpoint are kept
 * (src/services/test-sends.ts); the cron drops any older than EVENT_RETENTION_DAYS.
 */
export const endpointTests = sqliteTable(
  "endpoint_tests",
  {
    /** The attempt's id (att_...). */
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull(),
    customerId: text("customer_id").notNull(),
    /** The example event's id, sent as webhook-id (never an event of any case). */
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    at: integer("at").notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    responseExcerpt: text("response_excerpt"),
    errorKind: text("error_kind"),
    flagged: integer("flagged", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("endpoint_tests_endpoint").on(t.endpointId, t.id)],
);

export type EndpointTestRow = typeof endpointTests.$inferSelect;
