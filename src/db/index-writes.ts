/**
 * What case objects tell D1 (the control plane and the thin index): index rows as data, turned
 * into idempotent statements here. The INBOX consumer writes the index writes of a whole queue
 * batch in one D1 batch per database (src/db/index-shards.ts); objects write their own
 * (reconcile, retries, replays, dead letters) from their outbox. Every statement can run twice, or
 * late, without harm: upserts compare the time of the decision that produced them, deletes check
 * it too, and counts are activity figures (runIndexBatches runs them once per success).
 */
import type { EventType, Status } from "../domain";
import { indexDatabaseOf } from "./index-shards";
import { isIssueWrite, issueStatements, mergeSeen, type IssueWrite } from "./issue-writes";

export type { IssueClear, IssueSeen, IssueWrite } from "./issue-writes";

type At = { at: number };

export type IndexWrite =
  | { kind: "event"; customerId: string; id: string; sourceId: string; caseId: string; sequence: number; type: EventType; status: Status }
  | ({ kind: "case"; sourceId: string; caseId: string; customerId: string; status: Status; terminal: boolean; reconcileAfterMs: number } & At)
  /** Reconcile this case by `dueAt` (a receipt of it failed: the change it announced is fetched). */
  | ({ kind: "case_due"; sourceId: string; caseId: string; customerId: string; dueAt: number } & At)
  | ({
      kind: "delivery";
      id: string;
      customerId: string;
      endpointId: string;
      sourceId: string;
      caseId: string;
      eventId: string;
      sequence: number;
      status: "retrying" | "failed" | "held";
      replay: boolean;
      createdAt: number;
    } & At)
  /** Settled (succeeded, superseded) or gone: no longer the operator's concern. */
  | ({ kind: "delivery_settled"; id: string } & At)
  | ({ kind: "receipt_failed"; id: string; customerId: string; sourceId: string; caseId: string; reason: string; detail: string } & At)
  | ({ kind: "receipt_recovered"; id: string } & At)
  | { kind: "endpoint_attempts"; endpointId: string; at: number; attempts: number; failures: number }
  | ({ kind: "endpoint_health"; endpointId: string; change: "success" | "failure" } & At)
  | ({ kind: "endpoint_disable"; endpointId: string; reason: string } & At)
  /** The endpoint answered a throttle signal: every case object defers attempts to it until `until` (src/flow/cooldown.ts). */
  | ({ kind: "endpoint_throttle"; endpointId: string; customerId: string; until: number } & At)
  | { kind: "source_receipts"; sourceId: string; at: number; receipts: number; duplicates: number }
  /** Alerts: a condition seen or cleared for a source or endpoint (src/db/issue-writes.ts). */
  | IssueWrite;

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Counters of the same key are summed, and of repeated rows only the latest decision is kept. */
export function coalesce(writes: readonly IndexWrite[]): IndexWrite[] {
  const out = new Map<string, IndexWrite>();
  for (const w of writes) {
    const key = keyOf(w);
    const prev = out.get(key);
    if (!prev) {
      out.set(key, w);
      continue;
    }
    if (w.kind === "endpoint_attempts" && prev.kind === "endpoint_attempts") {
      out.set(key, { ...prev, attempts: prev.attempts + w.attempts, failures: prev.failures + w.failures });
    } else if (w.kind === "issue" && prev.kind === "issue") {
      out.set(key, mergeSeen(prev, w));
    } else if (w.kind === "source_receipts" && prev.kind === "source_receipts") {
      out.set(key, { ...prev, at: Math.max(prev.at, w.at), receipts: prev.receipts + w.receipts, duplicates: prev.duplicates + w.duplicates });
    } else if ("at" in w && "at" in prev && w.at >= prev.at) {
      // The later decision about the same row wins (a delivery retried, then failed).
      out.delete(key);
      out.set(key, w);
    }
  }
  return [...out.values()];
}

function keyOf(w: IndexWrite): string {
  switch (w.kind) {
    case "event":
      return `event:${w.id}`;
    case "case":
      return `case:${w.sourceId}:${w.caseId}`;
    case "case_due":
      return `case_due:${w.sourceId}:${w.caseId}`;
    case "delivery":
    case "delivery_settled":
      return `delivery:${w.id}`;
    case "receipt_failed":
    case "receipt_recovered":
      return `receipt:${w.id}`;
    case "endpoint_attempts":
      return `attempts:${w.endpointId}:${Math.floor(w.at / HOUR)}`;
    case "endpoint_health":
      return `health:${w.endpointId}`;
    case "endpoint_disable":
      return `disable:${w.endpointId}`;
    case "endpoint_throttle":
      return `throttle:${w.endpointId}`;
    case "source_receipts":
      return `source:${w.sourceId}:${Math.floor(w.at / DAY)}`;
    case "issue":
      return `issue:${w.issue}:${w.subjectId}`;
    case "issue_clear":
      return `issue_clear:${w.issue}:${w.subjectId}:${w.unless ?? ""}`;
  }
}

/** The event's row in the events index, which may live in a database of its own (src/db/index-shards.ts). */
type EventWrite = Extract<IndexWrite, { kind: "event" }>;
/** Everything else: rows of the control plane's database. */
export type ControlWrite = Exclude<IndexWrite, EventWrite>;

const isEvent = (w: IndexWrite): w is EventWrite => w.kind === "event";

/**
 * The control plane's statements for `writes`; each is valid on its own, so they can run in one
 * batch or apart. Issue writes come last, in time order: a clear that waits for the index to be
 * empty of the condition (no failed delivery left) reads it after the rest of the batch changed it.
 */
export function indexStatements(db: D1Database, writes: readonly ControlWrite[]): D1PreparedStatement[] {
  const all = coalesce(writes) as ControlWrite[];
  const issues = all.filter(isIssueWrite).sort((a, b) => a.at - b.at);
  return [
    ...all.filter((w) => !isIssueWrite(w)).flatMap((w) => statements(db, w as Exclude<ControlWrite, IssueWrite>)),
    ...issues.flatMap((w) => issueStatements(db, w)),
  ];
}

/** One D1 batch's worth of statements, and the database it runs on. */
export type IndexBatch = { db: D1Database; stmts: D1PreparedStatement[] };

/**
 * The statements for `writes`, by database: the control plane's (env.DB) first, then each events
 * index database that takes a row. An event row of the control plane's own database joins its batch.
 */
export function indexBatches(env: Env, writes: readonly IndexWrite[]): IndexBatch[] {
  const control = indexStatements(
    env.DB,
    writes.filter((w): w is ControlWrite => !isEvent(w)),
  );
  const events = writes.filter(isEvent).map((w) => {
    const db = indexDatabaseOf(env, w.id);
    return { db, stmts: [eventStatement(db, w)] };
  });
  return mergeBatches(env, [{ db: env.DB, stmts: control }, ...events]);
}

/** One batch per database, in order, the control plane's first; none without statements. */
export function mergeBatches(env: Env, batches: readonly IndexBatch[]): IndexBatch[] {
  const byDb = new Map<D1Database, D1PreparedStatement[]>([[env.DB, []]]);
  for (const b of batches) {
    const stmts = byDb.get(b.db);
    if (stmts) stmts.push(...b.stmts);
    else byDb.set(b.db, [...b.stmts]);
  }
  return [...byDb].map(([db, stmts]) => ({ db, stmts })).filter((b) => b.stmts.length);
}

/**
 * Runs `batches`, each its own D1 batch (atomic within its database): the events index's first,
 * side by side, then, once every one has its rows, the control plane's. The control plane's
 * statements include writes that add up (an issue's count, the activity counters), so they must
 * run once per success; a failure before them leaves only the index's inserts to repeat, which
 * change nothing the second time. Resolves to the control plane's results (the issues they
 * announce); rejects with the first failure once the batches under way have settled.
 */
export async function runIndexBatches(env: Env, batches: readonly IndexBatch[]): Promise<D1Result[]> {
  const settled = await Promise.allSettled(batches.filter((b) => b.db !== env.DB).map((b) => b.db.batch(b.stmts)));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  const results: D1Result[] = [];
  for (const b of batches) if (b.db === env.DB) results.push(...(await b.db.batch(b.stmts)));
  return results;
}

function eventStatement(db: D1Database, w: EventWrite): D1PreparedStatement {
  return db
    .prepare("INSERT INTO events (customer_id, id, source_id, case_id, sequence, type, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING")
    .bind(w.customerId, w.id, w.sourceId, w.caseId, w.sequence, w.type, w.status);
}

/**
 * Writes that change an endpoint's status or health: this isolate's copy of the customer's
 * endpoints is stale after them (its failing_since decides whether a success clears an alert).
 */
export const disablesEndpoints = (writes: readonly IndexWrite[]) => writes.some((w) => w.kind === "endpoint_disable" || w.kind === "endpoint_health");

/** Customers one of whose endpoints was just throttled: their cached endpoints are stale once D1 has it. */
export const throttledCustomers = (writes: readonly IndexWrite[]) => [
  ...new Set(writes.flatMap((w) => (w.kind === "endpoint_throttle" ? [w.customerId] : []))),
];

function statements(db: D1Database, w: Exclude<ControlWrite, IssueWrite>): D1PreparedStatement[] {
  if (w.kind === "case") return caseStatements(db, w);
  const one = statement(db, w);
  if (w.kind !== "source_receipts") return [one];
  // The source's last webhook, for the silence check (and a silent source is silent no more, its issue resolved).
  return [
    one,
    db
      .prepare("UPDATE sources SET last_receipt_at = ?2, silent_since = NULL WHERE id = ?1 AND (last_receipt_at IS NULL OR last_receipt_at < ?2)")
      .bind(w.sourceId, w.at),
    ...issueStatements(db, { kind: "issue_clear", issue: "source.silent", subjectId: w.sourceId, resolution: "a webhook arrived", at: w.at }),
  ];
}

/**
 * A case's row, in three steps so that a status change writes one row: D1 bills every index entry
 * written, and SQLite rewrites a row's entry in cases_open_check_after whenever an UPDATE sets
 * check_after or terminal, even to the same value. Only a change of openness (or a cleared
 * reconcile failure) touches them. Each step is a no-op when a later decision is already in.
 */
function caseStatements(db: D1Database, w: Extract<IndexWrite, { kind: "case" }>): D1PreparedStatement[] {
  const terminal = w.terminal ? 1 : 0;
  return [
    db
      .prepare(
        `INSERT INTO cases (source_id, case_id, customer_id, status, terminal, check_after, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6 + ?7, ?6, ?6) ON CONFLICT (source_id, case_id) DO NOTHING`,
      )
      .bind(w.sourceId, w.caseId, w.customerId, w.status, terminal, w.at, w.reconcileAfterMs),
    // Opened, closed, or past a reconcile failure: a case that reopens is due for its reconcile
    // again; a webhook that got through clears the failure.
    db
      .prepare(
        `UPDATE cases SET status = ?3, terminal = ?4, updated_at = ?5, reconcile_failures = 0, reconcile_error = NULL,
           check_after = CASE WHEN (terminal = 1 AND ?4 = 0) OR reconcile_failures > 0 THEN ?5 + ?6 ELSE check_after END
         WHERE source_id = ?1 AND case_id = ?2 AND updated_at <= ?5 AND (terminal <> ?4 OR reconcile_failures > 0)`,
      )
      .bind(w.sourceId, w.caseId, w.status, terminal, w.at, w.reconcileAfterMs),
    // Only the status moved.
    db
      .prepare("UPDATE cases SET status = ?3, updated_at = ?4 WHERE source_id = ?1 AND case_id = ?2 AND updated_at <= ?4 AND status <> ?3")
      .bind(w.sourceId, w.caseId, w.status, w.at),
  ];
}

function statement(db: D1Database, w: Exclude<ControlWrite, IssueWrite | { kind: "case" }>): D1PreparedStatement {
  switch (w.kind) {
    case "case_due":
      // A case never forwarded has no row yet: it gets one, open, so the cron finds it.
      return db
        .prepare(
          `INSERT INTO cases (source_id, case_id, customer_id, status, terminal, check_after, created_at, updated_at)
           VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?5, ?5)
           ON CONFLICT (source_id, case_id) DO UPDATE SET terminal = 0, check_after = MIN(cases.check_after, excluded.check_after)`,
        )
        .bind(w.sourceId, w.caseId, w.customerId, w.dueAt, w.at);
    case "delivery":
      return db
        .prepare(
          `INSERT INTO deliveries (id, customer_id, endpoint_id, source_id, case_id, event_id, sequence, status, replay, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
           ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
           WHERE excluded.updated_at >= deliveries.updated_at AND deliveries.status <> excluded.status`,
        )
        .bind(w.id, w.customerId, w.endpointId, w.sourceId, w.caseId, w.eventId, w.sequence, w.status, w.replay ? 1 : 0, w.createdAt, w.at);
    case "delivery_settled":
      return db.prepare("DELETE FROM deliveries WHERE id = ?1 AND updated_at <= ?2").bind(w.id, w.at);
    case "receipt_failed":
      return db
        .prepare(
          `INSERT INTO failed_receipts (id, customer_id, source_id, case_id, reason, detail, failed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
           ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, failed_at = excluded.failed_at
           WHERE excluded.failed_at >= failed_receipts.failed_at`,
        )
        .bind(w.id, w.customerId, w.sourceId, w.caseId, w.reason, w.detail, w.at);
    case "receipt_recovered":
      return db.prepare("DELETE FROM failed_receipts WHERE id = ?1 AND failed_at <= ?2").bind(w.id, w.at);
    case "endpoint_attempts":
      return db
        .prepare(
          `INSERT INTO endpoint_hours (endpoint_id, hour, attempts, failures) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT DO UPDATE SET attempts = attempts + excluded.attempts, failures = failures + excluded.failures`,
        )
        .bind(w.endpointId, Math.floor(w.at / HOUR) * HOUR, w.attempts, w.failures);
    case "endpoint_health":
      // failing_since marks the first failure after a success: it drives the 5-day disable.
      return w.change === "success"
        ? db.prepare("UPDATE endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL AND failing_since <= ?2").bind(w.endpointId, w.at)
        : db.prepare("UPDATE endpoints SET failing_since = ?2 WHERE id = ?1 AND failing_since IS NULL").bind(w.endpointId, w.at);
    case "endpoint_disable":
      return db
        .prepare(
          "UPDATE endpoints SET status = 'disabled', disabled_reason = ?2, failing_since = COALESCE(failing_since, ?3), updated_at = ?3 WHERE id = ?1 AND status = 'active'",
        )
        .bind(w.endpointId, w.reason, w.at);
    case "endpoint_throttle":
      // Only ever lengthens a cooldown: two objects' answers may arrive in any order.
      return db
        .prepare("UPDATE endpoints SET throttled_until = ?2 WHERE id = ?1 AND (throttled_until IS NULL OR throttled_until < ?2)")
        .bind(w.endpointId, w.until);
    case "source_receipts":
      return db
        .prepare(
          `INSERT INTO source_days (source_id, day, receipts, duplicates) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT DO UPDATE SET receipts = receipts + excluded.receipts, duplicates = duplicates + excluded.duplicates`,
        )
        .bind(w.sourceId, Math.floor(w.at / DAY) * DAY, w.receipts, w.duplicates);
  }
}
