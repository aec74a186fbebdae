/**
 * Storing what CaseObjects computed: one D1 batch (one round trip) for a whole queue batch or cron
 * run — events, receipt outcomes, case rows, queued deliveries and endpoint health — then the
 * DELIVERY messages for retries.
 *
 * Every statement is idempotent, and an event's queued deliveries are created only in the batch that
 * first stores the event, so results handed over twice (a redelivered message) cost reads, not
 * writes, and never send twice.
 */
import type { DeliveryStatus } from "../domain";
import { log } from "../lib/log";
import { forgetEndpoints } from "../services/endpoints";
import type { CaseKey, HealthChange, ProcessResult, StoredEvent } from "./case-types";
import { enqueueDeliveries, type QueuedDelivery } from "../services/deliveries";

export type CaseWork = {
  key: CaseKey;
  result: ProcessResult;
  /** dedupe_key of each receipt in `result.receipts` (receipts are keyed by it). */
  dedupeKeys: Map<string, string>;
  /** A reconcile run's synthetic receipt, stored only because it produced an event. */
  reconcileReceipt?: { id: string; receivedAt: number } | null;
};

/** Deliveries whose first attempt did not settle them go to the deliveries table and, if due, the queue. */
const QUEUED: ReadonlySet<DeliveryStatus> = new Set(["pending", "retrying", "held", "failed"]);

export type PersistSummary = { events: number; newEvents: number; queued: number };

export async function persist(env: Env, work: CaseWork[], now = Date.now()): Promise<PersistSummary> {
  const db = env.DB;
  const stmts: D1PreparedStatement[] = [];
  const kinds: ("event" | "delivery" | "other")[] = [];
  const add = (kind: "event" | "delivery" | "other", s: D1PreparedStatement) => {
    stmts.push(s);
    kinds.push(kind);
  };
  const deliveryMeta = new Map<string, { event: StoredEvent; status: DeliveryStatus; dueAt: number; endpointId: string }>();

  for (const w of work) {
    const { key, result } = w;
    if (w.reconcileReceipt) {
      const r = w.reconcileReceipt;
      add(
        "other",
        db
          .prepare(
            `INSERT INTO receipts (source_id, case_id, dedupe_key, id, customer_id, kind, event_type, subject, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'reconcile', 'reconcile', 'case', ?6) ON CONFLICT DO NOTHING`,
          )
          .bind(key.sourceId, key.caseId, `reconcile:${r.id}`, r.id, key.customerId, r.receivedAt),
      );
    }
    for (const event of result.events) {
      for (const d of event.deliveries) {
        if (!QUEUED.has(d.status)) continue;
        const dueAt = d.next_attempt_at ? Date.parse(d.next_attempt_at) : now;
        deliveryMeta.set(d.id, { event, status: d.status, dueAt, endpointId: d.endpoint_id });
        // Before the event row: only the batch that stores the event first creates its deliveries.
        add(
          "delivery",
          db
            .prepare(
              `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, source_id, case_id, sequence, status, replay, attempts, next_attempt_at, created_at, updated_at)
               SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?11
                WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = ?2)
               ON CONFLICT DO NOTHING RETURNING id`,
            )
            .bind(
              d.id,
              event.id,
              d.endpoint_id,
              event.customerId,
              event.sourceId,
              event.caseId,
              event.sequence,
              d.status === "pending" ? "retrying" : d.status,
              JSON.stringify(d.attempts),
              d.status === "held" || d.status === "failed" ? null : dueAt,
              now,
            ),
        );
      }
      add(
        "event",
        db
          .prepare(
            `INSERT INTO events (id, customer_id, source_id, case_id, sequence, type, status, group_id, receipt_id, payload, deliveries, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING RETURNING id`,
          )
          .bind(
            event.id,
            event.customerId,
            event.sourceId,
            event.caseId,
            event.sequence,
            event.type,
            event.status,
            event.groupId,
            event.receiptId,
            JSON.stringify(event.payload),
            JSON.stringify(event.deliveries),
            event.createdAt,
          ),
      );
    }
    for (const r of result.receipts) {
      const dedupeKey = w.dedupeKeys.get(r.receiptId);
      if (dedupeKey === undefined || r.outcome === "forwarded") continue;
      add(
        "other",
        r.outcome === "retry"
          ? // Still pending: say why, so the case's trail shows what it is waiting for.
            db
              .prepare(`UPDATE receipts SET detail = ?4 WHERE source_id = ?1 AND case_id = ?2 AND dedupe_key = ?3 AND id = ?5 AND outcome IS NULL AND detail IS NOT ?4`)
              .bind(key.sourceId, key.caseId, dedupeKey, r.detail, r.receiptId)
          : db
              .prepare(`UPDATE receipts SET outcome = ?4, detail = ?5 WHERE source_id = ?1 AND case_id = ?2 AND dedupe_key = ?3 AND id = ?6 AND outcome IS NOT ?4`)
              .bind(key.sourceId, key.caseId, dedupeKey, r.outcome, r.detail, r.receiptId),
      );
    }
    // Written only when the case is new or opens/closes: the upsert's WHERE makes it a no-op otherwise.
    add(
      "other",
      db
        .prepare(
          `INSERT INTO cases (source_id, case_id, customer_id, terminal, check_after, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
           ON CONFLICT (source_id, case_id) DO UPDATE SET terminal = excluded.terminal, check_after = excluded.check_after, updated_at = excluded.updated_at
           WHERE cases.terminal <> excluded.terminal`,
        )
        .bind(key.sourceId, key.caseId, key.customerId, result.caseRow.terminal ? 1 : 0, now + result.caseRow.reconcileAfterSeconds * 1000, now),
    );
  }
  for (const s of healthStatements(db, work.flatMap((w) => w.result.health))) add("other", s);
  if (!stmts.length) return { events: 0, newEvents: 0, queued: 0 };

  const results = await db.batch<{ id: string }>(stmts);
  const newDeliveries: string[] = [];
  let newEvents = 0;
  results.forEach((r, i) => {
    if (kinds[i] === "delivery") newDeliveries.push(...r.results.map((x) => x.id));
    if (kinds[i] === "event") newEvents += r.results.length;
  });

  const due: QueuedDelivery[] = [];
  for (const id of newDeliveries) {
    const m = deliveryMeta.get(id);
    if (!m || m.status === "held" || m.status === "failed") continue;
    due.push({ id, eventId: m.event.id, endpointId: m.endpointId, sourceId: m.event.sourceId, caseId: m.event.caseId, dueAt: m.dueAt });
  }
  // A failure here leaves rows without messages; the cron's sweep re-queues overdue deliveries.
  await enqueueDeliveries(env, due, now);
  return { events: work.reduce((n, w) => n + w.result.events.length, 0), newEvents, queued: due.length };
}

/** Endpoint health from sends: failing_since set/cleared, and disabling on 410 or 5 days of failure. */
export function healthStatements(db: D1Database, changes: HealthChange[]): D1PreparedStatement[] {
  const last = new Map<string, HealthChange>();
  const disables = new Map<string, HealthChange>();
  for (const h of [...changes].sort((a, b) => a.at - b.at)) {
    if (h.kind === "disable") disables.set(h.endpointId, h);
    else last.set(h.endpointId, h);
  }
  const stmts: D1PreparedStatement[] = [];
  for (const h of last.values()) {
    stmts.push(
      h.kind === "success"
        ? db.prepare("UPDATE endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL").bind(h.endpointId)
        : db.prepare("UPDATE endpoints SET failing_since = ?2 WHERE id = ?1 AND failing_since IS NULL").bind(h.endpointId, h.at),
    );
  }
  for (const h of disables.values()) {
    if (h.kind !== "disable") continue;
    log("warn", "endpoint disabled", { endpoint_id: h.endpointId, reason: h.reason });
    stmts.push(
      db
        .prepare("UPDATE endpoints SET status = 'disabled', disabled_reason = ?2, failing_since = COALESCE(failing_since, ?3), updated_at = ?3 WHERE id = ?1 AND status = 'active'")
        .bind(h.endpointId, h.reason, h.at),
    );
  }
  if (disables.size) forgetEndpoints();
  return stmts;
}
