/**
 * INBOX consumer: group a batch by case, hand each case its receipts (cases concurrently, each in
 * arrival order), write what the index should learn for the whole batch in one D1 batch per
 * database, then ack or retry each message. One case's failure touches only its own messages.
 */
import { announce } from "../alerts/announce";
import { loadContext } from "../case/context";
import { caseObject } from "../case/client";
import { caseObjectName, type ReceiptInput, type ReceiptResult } from "../case/types";
import { forgetEndpoints } from "../db/control-plane";
import {
  disablesEndpoints,
  indexBatches,
  indexStatements,
  mergeBatches,
  runIndexBatches,
  throttledCustomers,
  type ControlWrite,
  type IndexWrite,
} from "../db/index-writes";
import { getConfig } from "../lib/config";
import { errorSummary, log } from "../lib/log";
import type { ReceiptMessage } from "./messages";
import { inboxRetryDelay } from "./schedule";

type Msg = Message<ReceiptMessage>;

export type InboxSummary = {
  messages: number;
  cases: number;
  forwarded: number;
  duplicate: number;
  stale: number;
  unchanged: number;
  failed: number;
  retried: number;
};

type CaseBatch = { name: string; sourceId: string; caseId: string; customerId: string; msgs: Msg[] };
type CaseDone = { batch: CaseBatch; results: ReceiptResult[]; index: IndexWrite[] };

export const toReceiptInput = (m: ReceiptMessage): ReceiptInput => ({
  id: m.id,
  dedupeKey: m.dedupe_key,
  subject: m.subject,
  version: m.version,
  providerEventId: m.provider_event_id,
  providerEventType: m.event_type,
  receivedAt: m.received_at,
  bodySha256: m.body_sha256,
  body: m.body,
});

export async function handleInbox(batch: MessageBatch<ReceiptMessage>, env: Env): Promise<InboxSummary> {
  const started = Date.now();
  const summary: InboxSummary = { messages: batch.messages.length, cases: 0, forwarded: 0, duplicate: 0, stale: 0, unchanged: 0, failed: 0, retried: 0 };
  const retry = (m: Msg) => {
    summary.retried++;
    m.retry({ delaySeconds: inboxRetryDelay(m.attempts) });
  };
  try {
    getConfig(env);
  } catch (err) {
    // Misconfigured (a setting, or INDEX_DATABASES naming no D1 binding): no case is handed
    // anything it could decide and send but not index; every message comes back later.
    log("error", "misconfigured: inbox batch put back", { messages: batch.messages.length, error: errorSummary(err) });
    batch.messages.forEach(retry);
    return summary;
  }

  // By case, in arrival order; a message delivered twice in one batch is handed over once.
  const cases = new Map<string, CaseBatch>();
  const seen = new Set<string>();
  for (const m of batch.messages) {
    const name = caseObjectName({ sourceId: m.body.source_id, caseId: m.body.case_id });
    const c = cases.get(name) ?? { name, sourceId: m.body.source_id, caseId: m.body.case_id, customerId: m.body.customer_id, msgs: [] };
    c.msgs.push(m);
    cases.set(name, c);
  }
  summary.cases = cases.size;

  const done: CaseDone[] = [];
  await Promise.all(
    [...cases.values()].map(async (c) => {
      try {
        const receipts = c.msgs.filter((m) => !seen.has(m.body.id) && seen.add(m.body.id)).map((m) => toReceiptInput(m.body));
        // Read once here (cached briefly), so objects need no D1 read for a webhook.
        const context = await loadContext(env, c.sourceId);
        const attempt = Math.max(...c.msgs.map((m) => m.attempts));
        const out = await caseObject(env, { sourceId: c.sourceId, caseId: c.caseId }).process({ receipts, context, attempt });
        done.push({ batch: c, results: out.results, index: out.index });
      } catch (err) {
        log("error", "case processing failed", { case: c.name, receipts: c.msgs.length, error: errorSummary(err) });
        c.msgs.forEach(retry);
      }
    }),
  );

  const written = await writeIndex(env, done, started);
  if (disablesEndpoints(done.flatMap((d) => d.index))) forgetEndpoints();
  for (const customerId of throttledCustomers(done.flatMap((d) => d.index))) forgetEndpoints(customerId);
  for (const d of done) {
    if (!written.has(d.batch.name)) {
      d.batch.msgs.forEach(retry);
      continue;
    }
    const byId = new Map(d.results.map((r) => [r.receiptId, r]));
    for (const m of d.batch.msgs) {
      const r = byId.get(m.body.id);
      if (!r || r.outcome === "retry" || r.outcome === "pending") retry(m);
      else {
        summary[r.outcome]++;
        m.ack();
      }
    }
  }
  log("info", "inbox batch", { ...summary, duration_ms: Date.now() - started });
  return summary;
}

/** Activity counters: summed over the whole queue batch (one row per endpoint and hour, not per case). */
const isCounter = (w: IndexWrite): w is ControlWrite => w.kind === "endpoint_attempts";

/**
 * One D1 batch per database for every case of the queue batch: the events index's (when it has
 * databases of its own: src/db/index-shards.ts), then the control plane's, with the activity
 * counters summed over all of them. If one fails, each case's writes are tried on their own, so one
 * bad case cannot hold back the rest. Returns the cases whose index writes D1 has.
 */
async function writeIndex(env: Env, done: CaseDone[], now: number): Promise<Set<string>> {
  const ok = new Set<string>();
  const perCase = done.map((d) => ({
    name: d.batch.name,
    batches: indexBatches(
      env,
      d.index.filter((w) => !isCounter(w)),
    ),
  }));
  const counters = indexStatements(env.DB, [...sourceCounters(done, now), ...done.flatMap((d) => d.index.filter(isCounter))]);
  try {
    const all = mergeBatches(env, [...perCase.flatMap((c) => c.batches), { db: env.DB, stmts: counters }]);
    if (all.length) await announce(env, await runIndexBatches(env, all));
    for (const c of perCase) ok.add(c.name);
    return ok;
  } catch (err) {
    // The control plane's batch runs last and is atomic: whatever failed, nothing of it is in.
    log("error", "index batch failed; writing case by case", { cases: perCase.length, error: errorSummary(err) });
  }
  await Promise.all([
    ...perCase.map(async (c) => {
      try {
        if (c.batches.length) await announce(env, await runIndexBatches(env, c.batches));
        ok.add(c.name);
      } catch (err) {
        log("error", "index writes of a case failed", { case: c.name, error: errorSummary(err) });
      }
    }),
    // The counters are activity figures: written once more on their own, or lost with D1.
    counters.length
      ? env.DB.batch(counters).then(
          (results) => announce(env, results),
          (err) => log("warn", "activity counters not written", { error: errorSummary(err) }),
        )
      : null,
  ]);
  return ok;
}

/** Receipts and duplicates per source for the console's activity view (and the source's last webhook). */
function sourceCounters(done: CaseDone[], now: number): ControlWrite[] {
  return done.flatMap((d) => {
    const latest = Math.max(...d.batch.msgs.map((m) => m.body.received_at));
    const duplicates = d.results.filter((r) => r.outcome === "duplicate").length;
    return [
      {
        kind: "source_receipts" as const,
        sourceId: d.batch.sourceId,
        at: Number.isFinite(latest) ? latest : now,
        receipts: d.results.length - duplicates,
        duplicates,
      },
    ];
  });
}
