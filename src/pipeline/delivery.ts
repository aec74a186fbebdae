/**
 * DELIVERY consumer: the attempts after the first (retries), and deliveries released, replayed or
 * recovered. Each attempt is made by the case's CaseObject, which keeps sends to one endpoint in
 * order and applies the superseded rule; this consumer loads and records state in D1 in batches.
 */
import type { Attempt, Envelope } from "../domain";
import type { DeliveryRow } from "../services/events";
import { errorSummary, log } from "../lib/log";
import { count } from "../lib/metrics";
import { caseObjectName, type DeliverResult } from "./case-types";
import type { DeliveryMessage } from "./messages";
import { healthStatements } from "./persist";
import { MAX_QUEUE_DELAY_SECONDS, nextRetryDelay } from "./schedule";

type Msg = Message<DeliveryMessage>;

/** A message this early is waiting out a delay longer than a queue can hold: put it back for the rest. */
const EARLY_SLACK_MS = 1000;

export type DeliverySummary = { messages: number; attempted: number; succeeded: number; retrying: number; failed: number; superseded: number; held: number; skipped: number };

export function replayPayload(payload: Envelope): Envelope {
  return { ...payload, data: { ...payload.data, trigger: { ...payload.data.trigger, kind: "replay" } } };
}

export async function handleDeliveries(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<DeliverySummary> {
  const started = Date.now();
  const summary: DeliverySummary = { messages: batch.messages.length, attempted: 0, succeeded: 0, retrying: 0, failed: 0, superseded: 0, held: 0, skipped: 0 };
  const ids = [...new Set(batch.messages.map((m) => m.body.delivery_id))];
  const eventIds = [...new Set(batch.messages.map((m) => m.body.event_id))];
  let rows: Map<string, DeliveryRow>;
  let payloads: Map<string, Envelope>;
  try {
    const placeholders = (n: number) => Array.from({ length: n }, (_, i) => `?${i + 1}`).join(",");
    const [d, e] = await env.DB.batch([
      env.DB.prepare(`SELECT * FROM deliveries WHERE id IN (${placeholders(ids.length)})`).bind(...ids),
      env.DB.prepare(`SELECT id, payload FROM events WHERE id IN (${placeholders(eventIds.length)})`).bind(...eventIds),
    ]);
    rows = new Map((d!.results as DeliveryRow[]).map((r) => [r.id, r]));
    payloads = new Map((e!.results as { id: string; payload: string }[]).map((r) => [r.id, JSON.parse(r.payload) as Envelope]));
  } catch (err) {
    log("error", "delivery load failed", { messages: batch.messages.length, error: errorSummary(err) });
    batch.messages.forEach((m) => m.retry({ delaySeconds: 30 }));
    return summary;
  }

  const now = Date.now();
  const ready: { m: Msg; row: DeliveryRow; payload: Envelope }[] = [];
  const seen = new Set<string>();
  for (const m of batch.messages) {
    const row = rows.get(m.body.delivery_id);
    const payload = payloads.get(m.body.event_id);
    // Gone (retention, deleted endpoint), settled already, or a second message for the same attempt.
    if (!row || !payload || row.status !== "retrying" || seen.has(row.id)) {
      summary.skipped++;
      m.ack();
      continue;
    }
    seen.add(row.id);
    if (row.next_attempt_at !== null && row.next_attempt_at > now + EARLY_SLACK_MS) {
      m.retry({ delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, Math.ceil((row.next_attempt_at - now) / 1000)) });
      continue;
    }
    ready.push({ m, row, payload });
  }

  // Per case, in sequence order per endpoint; cases in parallel.
  const byCase = new Map<string, typeof ready>();
  for (const r of ready) {
    const name = caseObjectName({ sourceId: r.row.source_id, caseId: r.row.case_id });
    byCase.set(name, [...(byCase.get(name) ?? []), r]);
  }
  const outcomes: { item: (typeof ready)[number]; result: DeliverResult | null }[] = [];
  await Promise.all(
    [...byCase.entries()].map(async ([name, items]) => {
      const stub = env.CASES.get(env.CASES.idFromName(name));
      items.sort((a, b) => (a.row.endpoint_id === b.row.endpoint_id ? a.row.sequence - b.row.sequence : a.row.endpoint_id < b.row.endpoint_id ? -1 : 1));
      for (const item of items) {
        const { row, payload } = item;
        try {
          const result = await stub.deliver({
            key: { sourceId: row.source_id, caseId: row.case_id, customerId: row.customer_id },
            deliveryId: row.id,
            endpointId: row.endpoint_id,
            replay: row.replay === 1,
            attemptsMade: (JSON.parse(row.attempts) as Attempt[]).length,
            event: { id: row.event_id, sequence: row.sequence, payload: row.replay === 1 ? replayPayload(payload) : payload },
          });
          outcomes.push({ item, result });
        } catch (err) {
          log("error", "delivery attempt failed to run", { delivery_id: row.id, error: errorSummary(err) });
          outcomes.push({ item, result: null });
        }
      }
    }),
  );

  const updates: { m: Msg; retryIn: number | null; stmt: D1PreparedStatement }[] = [];
  for (const { item, result } of outcomes) {
    const { m, row } = item;
    if (!result) {
      m.retry({ delaySeconds: 30 });
      continue;
    }
    const attempts = JSON.parse(row.attempts) as Attempt[];
    const priorCount = attempts.length;
    if (result.attempt) attempts.push(result.attempt);
    let status: string;
    let next: number | null = null;
    let retryIn: number | null = null;
    switch (result.outcome) {
      case "succeeded":
        status = "succeeded";
        break;
      case "gone":
      case "no_endpoint":
        status = "failed";
        break;
      case "superseded":
      case "held":
        status = result.outcome;
        break;
      case "retry": {
        const delay = nextRetryDelay(attempts.length - row.retry_base, result.retryAfterSeconds);
        status = delay === null ? "failed" : "retrying";
        if (delay !== null) {
          next = now + delay * 1000;
          retryIn = Math.min(MAX_QUEUE_DELAY_SECONDS, delay);
        }
        break;
      }
    }
    if (result.attempt) summary.attempted++;
    summary[status === "retrying" ? "retrying" : (status as "succeeded" | "failed" | "superseded" | "held")]++;
    // Guarded on the attempt count, so a duplicate message cannot record an attempt twice.
    updates.push({
      m,
      retryIn,
      stmt: env.DB.prepare(
        `UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, updated_at = ?5
          WHERE id = ?1 AND status = 'retrying' AND json_array_length(attempts) = ?6 RETURNING id`,
      ).bind(row.id, status, JSON.stringify(attempts), next, now, priorCount),
    });
  }
  const health = healthStatements(env.DB, outcomes.flatMap((o) => o.result?.health ?? []));
  let results: D1Result[];
  try {
    results = updates.length + health.length ? await env.DB.batch([...updates.map((u) => u.stmt), ...health]) : [];
  } catch (err) {
    log("error", "delivery persist failed", { messages: batch.messages.length, error: errorSummary(err) });
    for (const { item } of outcomes) item.m.retry({ delaySeconds: 30 });
    return summary;
  }
  updates.forEach((u, i) => {
    // No row updated: another message for the same attempt got there first; this one is spent.
    const recorded = (results[i]?.results.length ?? 0) > 0;
    if (recorded && u.retryIn !== null) {
      count("queueRetries");
      u.m.retry({ delaySeconds: u.retryIn });
    }
    else u.m.ack();
  });
  log("info", "delivery batch", { ...summary, duration_ms: Date.now() - started });
  return summary;
}
