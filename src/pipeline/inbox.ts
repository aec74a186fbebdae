/**
 * INBOX consumer: dedupe a batch in one D1 round trip, hand each case's first-seen receipts to its
 * CaseObject (cases concurrently, a case's receipts in order), store the results in one more round
 * trip, then ack or retry each message on its own.
 */
import { inArray } from "drizzle-orm";
import { createDb } from "../db/client";
import { spooledBodies } from "../db/schema";
import { getConfig } from "../lib/config";
import { errorSummary, log } from "../lib/log";
import { count } from "../lib/metrics";
import { caseObjectName, type CaseKey, type CaseSnapshot, type ReceiptInput } from "./case-types";
import type { ReceiptMessage } from "./messages";
import { persist, type CaseWork } from "./persist";
import { inboxRetryDelay } from "./schedule";
import { snapshotsFrom, snapshotStatements } from "./snapshot";

/** The last duplicates kept on a receipt for the audit trail (all are counted). */
const DUPLICATES_KEPT = 10;

/** A redelivered message of a duplicate already counted on the holder (e.g. after a consumer crash). */
const COUNTED = `EXISTS (SELECT 1 FROM json_each(receipts.duplicates) WHERE json_extract(json_each.value, '$.id') = excluded.id)`;

/** Claims the dedupe key; RETURNING says who holds it (no row: this receipt already did). */
const CLAIM_SQL = `
INSERT INTO receipts (source_id, case_id, dedupe_key, id, customer_id, kind, provider_event_id, event_type, subject, version, received_at, body_sha256, body)
VALUES (?1, ?2, ?3, ?4, ?5, 'webhook', ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (source_id, case_id, dedupe_key) DO UPDATE SET
  id = CASE WHEN receipts.received_at < ?13 THEN excluded.id ELSE receipts.id END,
  provider_event_id = CASE WHEN receipts.received_at < ?13 THEN excluded.provider_event_id ELSE receipts.provider_event_id END,
  event_type = CASE WHEN receipts.received_at < ?13 THEN excluded.event_type ELSE receipts.event_type END,
  version = CASE WHEN receipts.received_at < ?13 THEN excluded.version ELSE receipts.version END,
  body_sha256 = CASE WHEN receipts.received_at < ?13 THEN excluded.body_sha256 ELSE receipts.body_sha256 END,
  body = CASE WHEN receipts.received_at < ?13 THEN excluded.body ELSE receipts.body END,
  outcome = CASE WHEN receipts.received_at < ?13 THEN NULL ELSE receipts.outcome END,
  detail = CASE WHEN receipts.received_at < ?13 THEN NULL ELSE receipts.detail END,
  duplicate_count = CASE WHEN receipts.received_at < ?13 THEN 0 WHEN ${COUNTED} THEN receipts.duplicate_count ELSE receipts.duplicate_count + 1 END,
  duplicates = CASE
    WHEN receipts.received_at < ?13 THEN '[]'
    WHEN ${COUNTED} THEN receipts.duplicates
    ELSE json_insert(
      CASE WHEN json_array_length(receipts.duplicates) >= ${DUPLICATES_KEPT} THEN json_remove(receipts.duplicates, '$[0]') ELSE receipts.duplicates END,
      '$[#]', json_object('id', excluded.id, 'received_at', excluded.received_at))
  END,
  received_at = CASE WHEN receipts.received_at < ?13 THEN excluded.received_at ELSE receipts.received_at END
WHERE receipts.id <> excluded.id
RETURNING id`;

type Msg = Message<ReceiptMessage>;

export type InboxSummary = { messages: number; duplicates: number; cases: number; forwarded: number; stale: number; unchanged: number; failed: number; retried: number };

export async function handleInbox(batch: MessageBatch<ReceiptMessage>, env: Env): Promise<InboxSummary> {
  const started = Date.now();
  const config = getConfig(env);
  const db = createDb(env.DB);
  const summary: InboxSummary = { messages: batch.messages.length, duplicates: 0, cases: 0, forwarded: 0, stale: 0, unchanged: 0, failed: 0, retried: 0 };
  const retry = (m: Msg) => {
    summary.retried++;
    count("queueRetries");
    m.retry({ delaySeconds: inboxRetryDelay(m.attempts) });
  };

  let claims: D1Result<{ id: string }>[];
  const bodies = new Map<string, string>();
  const caseKeys = new Map<string, { sourceId: string; caseId: string }>();
  const snapshots = new Map<string, CaseSnapshot>();
  try {
    const spooled = batch.messages.filter((m) => m.body.body === null).map((m) => m.body.id);
    if (spooled.length) {
      for (const row of await db.select().from(spooledBodies).where(inArray(spooledBodies.receiptId, spooled))) bodies.set(row.receiptId, row.body);
    }
    const cutoff = started - config.dedupeWindowMs;
    const stmts = batch.messages.map(({ body: m }) =>
      env.DB.prepare(CLAIM_SQL).bind(
        m.source_id,
        m.case_id,
        m.dedupe_key,
        m.id,
        m.customer_id,
        m.provider_event_id,
        m.event_type,
        m.subject,
        m.version,
        m.received_at,
        m.body_sha256,
        m.body ?? bodies.get(m.id) ?? null,
        cutoff,
      ),
    );
    const lastReceipt = new Map<string, number>();
    for (const { body: m } of batch.messages) lastReceipt.set(m.source_id, Math.max(lastReceipt.get(m.source_id) ?? 0, m.received_at));
    const sourceStmts = [...lastReceipt].map(([id, at]) =>
      env.DB.prepare("UPDATE sources SET last_receipt_at = ?2, silent_since = NULL WHERE id = ?1 AND (last_receipt_at IS NULL OR last_receipt_at < ?2)").bind(id, at),
    );
    // Each case's record rides in the same round trip, for objects that start without state.
    for (const { body: m } of batch.messages) {
      const name = caseObjectName({ sourceId: m.source_id, caseId: m.case_id });
      if (!caseKeys.has(name)) caseKeys.set(name, { sourceId: m.source_id, caseId: m.case_id });
    }
    const keys = [...caseKeys.values()];
    const results = await env.DB.batch<{ id: string }>([...stmts, ...sourceStmts, ...keys.flatMap((k) => snapshotStatements(env.DB, k))]);
    claims = results.slice(0, stmts.length);
    snapshotsFrom(results.slice(stmts.length + sourceStmts.length), keys.length).forEach((snapshot, i) => snapshots.set(caseObjectName(keys[i]!), snapshot));
  } catch (err) {
    log("error", "inbox dedupe failed", { messages: batch.messages.length, error: errorSummary(err) });
    batch.messages.forEach(retry);
    return summary;
  }

  // First-seen receipts (and redeliveries of a receipt that already holds its key), grouped by case.
  const groups = new Map<string, { key: CaseKey; msgs: Msg[] }>();
  batch.messages.forEach((m, i) => {
    const holder = claims[i]?.results[0]?.id;
    if (holder !== undefined && holder !== m.body.id) {
      summary.duplicates++;
      m.ack();
      return;
    }
    const key = { sourceId: m.body.source_id, caseId: m.body.case_id, customerId: m.body.customer_id };
    const name = caseObjectName(key);
    const g = groups.get(name) ?? { key, msgs: [] };
    g.msgs.push(m);
    groups.set(name, g);
  });
  summary.cases = groups.size;

  const work: CaseWork[] = [];
  await Promise.all(
    [...groups.entries()].map(async ([name, g]) => {
      const receipts: ReceiptInput[] = g.msgs.map(({ body: m }) => ({
        id: m.id,
        subject: m.subject,
        version: m.version,
        eventType: m.event_type,
        providerEventId: m.provider_event_id,
        receivedAt: m.received_at,
        body: m.body ?? bodies.get(m.id) ?? "null",
      }));
      try {
        const result = await env.CASES.get(env.CASES.idFromName(name)).process(g.key, receipts, snapshots.get(name)!);
        work.push({ key: g.key, result, dedupeKeys: new Map(g.msgs.map((m) => [m.body.id, m.body.dedupe_key])) });
      } catch (err) {
        log("error", "case processing failed", { case: name, receipts: receipts.length, error: errorSummary(err) });
        g.msgs.forEach(retry);
      }
    }),
  );

  const byId = new Map(batch.messages.map((m) => [m.body.id, m]));
  try {
    await persist(env, work);
  } catch (err) {
    log("error", "inbox persist failed", { cases: work.length, error: errorSummary(err) });
    for (const w of work) for (const r of w.result.receipts) { const m = byId.get(r.receiptId); if (m) retry(m); }
    return summary;
  }
  for (const w of work) {
    for (const r of w.result.receipts) {
      const m = byId.get(r.receiptId);
      if (!m) continue;
      if (r.outcome === "retry") {
        retry(m);
      } else {
        summary[r.outcome]++;
        m.ack();
      }
    }
  }
  log("info", "inbox batch", { ...summary, duration_ms: Date.now() - started });
  return summary;
}
