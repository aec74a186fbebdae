import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import type { Attempt } from "../../domain";

/**
 * Deliveries that go through the DELIVERY queue: first attempts that failed, held ones,
 * replays and recoveries. Ids are dlv_<event ulid><suffix>, so an event's deliveries are a
 * primary-key range. Attempts are kept inline: each attempt rewrites this row anyway.
 */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    customerId: text("customer_id").notNull(),
    sourceId: text("source_id").notNull(),
    caseId: text("case_id").notNull(),
    sequence: integer("sequence").notNull(),
    /** pending | retrying | succeeded | failed | superseded | held */
    status: text("status").notNull(),
    replay: integer("replay", { mode: "boolean" }).notNull().default(false),
    attempts: text("attempts", { mode: "json" }).$type<Attempt[]>().notNull().default([]),
    /** attempts[retryBase] is the first attempt of the current retry cycle (a recover starts a new one). */
    retryBase: integer("retry_base").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("deliveries_endpoint_status").on(t.endpointId, t.status, t.createdAt),
    index("deliveries_case").on(t.sourceId, t.caseId),
  ],
);
