/**
 * A case object's own storage: one SQLite database per case, inside its Durable Object, is the
 * case's record. drizzle-kit generates the migrations into migrations/case/ (npm run db:generate);
 * the object applies them before its first write (src/case/storage.ts).
 *
 * Rows are billed as written, and every table costs its database a little at creation, so the
 * record is two tables: one row per receipt (which, once forwarded, also holds the event it became,
 * with that event's deliveries and their attempts), and one row of what outlives retention.
 * A case has tens of receipts, rarely thousands: queries scan, and no secondary index is kept.
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { EVENT_TYPES, RECEIPT_OUTCOMES, STATUSES, type Check, type Delivery, type Envelope } from "../../domain";
import type { IndexWrite } from "../index-writes";

/** A provider redelivery counted on the receipt it repeats. */
export type Duplicate = { id: string; received_at: number };

/** The last event forwarded, as unchanged-detection needs it once retention deleted its row. */
export type LastForwarded = { sequence: number; fingerprint: string; type: Envelope["type"]; status: Envelope["data"]["status"]; check: Check | null };

export const receipts = sqliteTable("receipts", {
  /** Arrival order within the case. */
  n: integer("n").primaryKey(),
  id: text("id").notNull(),
  kind: text("kind", { enum: ["webhook", "reconcile"] }).notNull(),
  /** The provider's own dedupe rule, as one string; a later receipt with the same key within the window is a duplicate. */
  dedupeKey: text("dedupe_key").notNull(),
  providerEventId: text("provider_event_id"),
  providerEventType: text("provider_event_type").notNull(),
  /** "case", or "check:<id>" for an event about one service, check or step inside the case. */
  subject: text("subject").notNull(),
  /** The provider's version used for ordering (from the refetched state where the webhook is unauthenticated). */
  version: text("version"),
  receivedAt: integer("received_at").notNull(),
  outcome: text("outcome", { enum: RECEIPT_OUTCOMES }).notNull(),
  /** Why, as a stable code (stale, unchanged, gone, refetch_failed, refetch_rejected, ...) and a message safe to show. */
  reason: text("reason"),
  detail: text("detail"),
  /** Times the pipeline tried to process it (pending receipts say how often the provider API failed). */
  tries: integer("tries").notNull().default(0),
  duplicateCount: integer("duplicate_count").notNull().default(0),
  /** The last few duplicates (all are counted). */
  duplicates: text("duplicates", { mode: "json" }).$type<Duplicate[]>().notNull().default([]),
  /** The case is closed by this receipt (the provider says the case is gone). */
  closesCase: integer("closes_case", { mode: "boolean" }).notNull().default(false),

  // The event this receipt became, once forwarded.
  eventId: text("event_id"),
  sequence: integer("sequence"),
  type: text("type", { enum: EVENT_TYPES }),
  status: text("status", { enum: STATUSES }),
  /** Of the forwarded state, its type and check (src/case/decide.ts). */
  fingerprint: text("fingerprint"),
  groupId: text("group_id"),
  envelope: text("envelope", { mode: "json" }).$type<Envelope>(),
  deliveries: text("deliveries", { mode: "json" }).$type<Delivery[]>().notNull().default([]),

  /** SHA-256 of the stored body. */
  bodySha256: text("body_sha256"),
  /** The body as received, credentials stripped; null after RECEIPT_BODY_RETENTION_DAYS. Last: it is the large one. */
  body: text("body"),
});

/** One row (id 1): what the case keeps when retention deletes its receipts, and index writes not yet in D1. */
export const caseState = sqliteTable("case_state", {
  id: integer("id").primaryKey(),
  /** How many of migrations/case/ this database has had (src/case/storage.ts applies the rest). */
  schemaVersion: integer("schema_version").notNull(),
  /** Highest sequence of deleted events: numbering never restarts. */
  sequenceFloor: integer("sequence_floor").notNull().default(0),
  /** Newest version per subject among deleted receipts. */
  versionFloor: text("version_floor", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
  /** The last forwarded event, once deleted. */
  lastForwarded: text("last_forwarded", { mode: "json" }).$type<LastForwarded | null>(),
  /** The case was closed (terminal, or gone) as of the deleted receipts. */
  terminalFloor: integer("terminal_floor", { mode: "boolean" }).notNull().default(false),
  /** D1 index writes this object made outside a consumer's batch, kept until D1 has them (the outbox). */
  outbox: text("outbox", { mode: "json" }).$type<IndexWrite[]>().notNull().default([]),
  /** Failed flushes in a row, for the outbox's backoff. */
  outboxFailures: integer("outbox_failures").notNull().default(0),
});
