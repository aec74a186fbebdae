import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ISSUE_KINDS, RESOLVERS, STORED_ISSUE_STATUSES, SUBJECT_TYPES, type IssueRef } from "../../domain";

/**
 * Alerts as issues (src/alerts): one row per condition and subject while it lasts, counted, never
 * one per event. Written by index writes (src/db/issue-writes.ts) from the consumer's batch, case
 * objects' outboxes and the cron; acknowledged or resolved by an operator. `pending` rows are
 * streaks below their threshold (failed attempts in a row), never listed.
 */
export const issues = sqliteTable(
  "issues",
  {
    id: text("id").primaryKey(),
    /** `kind:subject_id` while the issue is not resolved, else null: at most one open issue per condition and subject. */
    openKey: text("open_key").unique(),
    kind: text("kind", { enum: ISSUE_KINDS }).notNull(),
    subjectType: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    subjectId: text("subject_id").notNull(),
    customerId: text("customer_id").notNull(),
    status: text("status", { enum: STORED_ISSUE_STATUSES }).notNull(),
    /** Occurrences (failed attempts, failed deliveries, dead letters, ...) since the issue or its streak began. */
    count: integer("count").notNull(),
    threshold: integer("threshold").notNull(),
    /** The count at which the issue next escalates (ten times the last). */
    escalateAt: integer("escalate_at").notNull(),
    firstSeenAt: integer("first_seen_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    /** What the last occurrence said (a status code, a reason): never a secret or a body. */
    detail: text("detail").notNull().default(""),
    /** What the last occurrence was about, for links: source, case, event, delivery, receipt. */
    ref: text("ref", { mode: "json" }).$type<IssueRef>(),
    acknowledgedAt: integer("acknowledged_at"),
    resolvedAt: integer("resolved_at"),
    resolvedBy: text("resolved_by", { enum: RESOLVERS }),
    resolution: text("resolution"),
    /** Bumped when the issue opens, escalates or resolves: what notifications announce. */
    revision: integer("revision").notNull().default(0),
    revisedAt: integer("revised_at").notNull(),
    /** The revision the last notification announced, and when it went out. */
    notifiedRevision: integer("notified_revision").notNull().default(0),
    notifiedAt: integer("notified_at"),
    /** A notification held back by the rate limit is due then (one scheduled at a time). */
    planAt: integer("plan_at"),
    /** One notifier plans the issue at a time: its lease, until then. */
    planningUntil: integer("planning_until"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("issues_customer").on(t.customerId, t.id), index("issues_status").on(t.status, t.id), index("issues_subject").on(t.subjectId)],
);

export type IssueRow = typeof issues.$inferSelect;
