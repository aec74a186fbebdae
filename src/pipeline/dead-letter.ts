/**
 * Dead-letter consumers: what the pipeline could not process after every retry is recorded where an
 * operator sees it (the receipt or delivery shows `failed`), never dropped silently.
 */
import { log } from "../lib/log";
import { caseObjectName } from "./case-types";
import type { QueueMessage } from "./messages";

/** Open cases whose receipt could not be processed are reconciled within the hour. */
const RECONCILE_FAILED_CASE_AFTER_MS = 3600 * 1000;

export async function handleDeadLetters(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const now = Date.now();
  const stmts: D1PreparedStatement[] = [];
  for (const { body: m } of batch.messages) {
    if (m.kind === "receipt") {
      const detail = "dead-lettered: could not be processed after every retry (see the logs for the cause); the case will be reconciled";
      stmts.push(
        env.DB.prepare(
          `INSERT INTO receipts (source_id, case_id, dedupe_key, id, customer_id, kind, provider_event_id, event_type, subject, version, received_at, body_sha256, body, outcome, detail)
           VALUES (?1, ?2, ?3, ?4, ?5, 'webhook', ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'failed', ?13)
           ON CONFLICT (source_id, case_id, dedupe_key) DO UPDATE SET outcome = 'failed', detail = excluded.detail
           WHERE receipts.id = excluded.id AND receipts.outcome IS NULL`,
        ).bind(m.source_id, m.case_id, m.dedupe_key, m.id, m.customer_id, m.provider_event_id, m.event_type, m.subject, m.version, m.received_at, m.body_sha256, m.body, detail),
        env.DB.prepare(
          `INSERT INTO cases (source_id, case_id, customer_id, terminal, check_after, created_at, updated_at)
           VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5)
           ON CONFLICT (source_id, case_id) DO UPDATE SET terminal = 0, check_after = MIN(cases.check_after, excluded.check_after), updated_at = excluded.updated_at`,
        ).bind(m.source_id, m.case_id, m.customer_id, now + RECONCILE_FAILED_CASE_AFTER_MS, now),
      );
      log("error", "receipt dead-lettered", { receipt_id: m.id, source_id: m.source_id, case_id: m.case_id });
    } else {
      stmts.push(
        env.DB.prepare("UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ?2 WHERE id = ?1 AND status = 'retrying'").bind(m.delivery_id, now),
      );
      log("error", "delivery dead-lettered", { delivery_id: m.delivery_id, event_id: m.event_id, endpoint_id: m.endpoint_id });
    }
  }
  // If this throws, the dead-letter queue itself retries the batch.
  if (stmts.length) await env.DB.batch(stmts);
  // What the case's object computed for these receipts may never have been stored: it starts again from D1.
  const cases = new Map(batch.messages.flatMap(({ body: m }) => (m.kind === "receipt" ? [[caseObjectName({ sourceId: m.source_id, caseId: m.case_id }), m] as const] : [])));
  await Promise.allSettled([...cases.keys()].map((name) => env.CASES.get(env.CASES.idFromName(name)).forget()));
  batch.ackAll();
}
