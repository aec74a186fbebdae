/**
 * CaseObject: one Durable Object per case (named `source_id:case_id`). It serializes everything that
 * happens to its case — stale checks, refetch, normalization, numbering, and every send to each
 * endpoint — and keeps the case's live state in memory.
 *
 * D1 is the case's record: callers store the events this object computes, in batches (D1 runs one
 * query at a time; batching across cases is what lets it scale), and hand the object a snapshot of
 * that record in the round trip they make anyway. The object uses the snapshot only when it starts
 * without state, so it writes no storage of its own. Receipts it has answered are remembered, so a
 * redelivered queue message gets the same answer — from memory, or from the snapshot once stored.
 *
 * Its input gate opens while it awaits fetch(), so ordering comes from explicit promise chains:
 * one for computing events, and one per endpoint for sends.
 */
import { DurableObject } from "cloudflare:workers";
import { createDb, type Db } from "../db/client";
import { DEFAULT_RECONCILE_AFTER_SECONDS, type Delivery, type Envelope, type Trigger } from "../domain";
import { getConfig } from "../lib/config";
import { eventIdForReceipt, newDeliveryId, newId } from "../lib/ids";
import { errorSummary } from "../lib/log";
import { count, withMetrics } from "../lib/metrics";
import { customerEndpoints, filterMatches, type LoadedEndpoint } from "../services/endpoints";
import { loadSource, type LoadedSource } from "../services/sources";
import type {
  CaseKey,
  CaseSnapshot,
  DeliverInput,
  DeliverResult,
  HealthChange,
  ProcessResult,
  ReceiptInput,
  ReceiptResult,
  ReconcileResult,
  StoredEvent,
} from "./case-types";
import { compareVersions, eventFingerprint } from "./fingerprint";
import { redactCredentials } from "./redact";
import { refetchWithRetries } from "./refetch";
import { DISABLE_AFTER_MS, nextRetryDelay } from "./schedule";
import { sendOnce } from "./send";
import { tokenCache } from "./tokens";

type Memo = { result: ReceiptResult; event: StoredEvent | null };

type CaseState = {
  sequence: number;
  /** Newest provider version seen per subject ("case", "check:<id>"). */
  versions: Record<string, string>;
  /** Of the last forwarded state. */
  fingerprint: string | null;
  terminal: boolean;
  /** Last receipt processed or reconcile run: the reconcile clock starts here. */
  lastActivityAt: number | null;
};

/** Receipt outcomes remembered for redelivered messages (older ones are answered from D1's snapshot). */
const MEMO_LIMIT = 100;
const SEND_MEMO_LIMIT = 200;
/** After a failed reconcile refetch, try again this much later. */
const RECONCILE_RETRY_MS = 15 * 60 * 1000;

async function stateFrom(snapshot: CaseSnapshot): Promise<{ state: CaseState; memo: Map<string, Memo> }> {
  const versions: Record<string, string> = {};
  let lastActivityAt: number | null = null;
  const memo = new Map<string, Memo>();
  for (const r of snapshot.receipts) {
    const prev = versions[r.subject];
    if (r.version !== null && (prev === undefined || compareVersions(r.version, prev) > 0)) versions[r.subject] = r.version;
    lastActivityAt = Math.max(lastActivityAt ?? 0, r.receivedAt);
    const outcome = (r.eventId ? "forwarded" : r.outcome) as ReceiptResult["outcome"];
    memo.set(r.id, { result: { receiptId: r.id, outcome, detail: null, eventId: r.eventId }, event: null });
  }
  const latest = snapshot.latest;
  return {
    state: {
      sequence: Math.max(latest?.sequence ?? 0, snapshot.lastSequence),
      versions,
      fingerprint: latest ? await eventFingerprint(latest.payload.data.state, latest.payload.type, latest.payload.data.check) : null,
      terminal: snapshot.terminal,
      lastActivityAt: Math.max(lastActivityAt ?? 0, latest?.createdAt ?? 0) || null,
    },
    memo,
  };
}

type Computed = { result: ReceiptResult; event: StoredEvent | null };

export class CaseObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withMetrics(env));
  }

  private state: CaseState | undefined;
  private memo = new Map<string, Memo>();
  /** For the bench: how long this object is busy (billed wall time), counted once across overlapping calls. */
  private busy = 0;
  private busySince = 0;
  private computing: Promise<unknown> = Promise.resolve();
  private chains = new Map<string, Promise<unknown>>();
  /** Highest sequence each endpoint acknowledged for this case (loaded from D1 once per instance). */
  private acked = new Map<string, number>();
  private ackedLoaded = false;
  private sendMemo = new Map<string, DeliverResult>();

  private async active<T>(fn: () => Promise<T>): Promise<T> {
    count("doRequests");
    if (this.busy++ === 0) this.busySince = Date.now();
    try {
      return await fn();
    } finally {
      if (--this.busy === 0) count("doActiveMs", Date.now() - this.busySince);
    }
  }

  private get db(): Db {
    return createDb(this.env.DB);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.computing.then(fn, fn);
    this.computing = run.catch(() => {});
    return run;
  }

  private onChain<T>(endpointId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(endpointId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.chains.set(endpointId, tail);
    void tail.then(() => {
      if (this.chains.get(endpointId) === tail) this.chains.delete(endpointId);
    });
    return run;
  }

  /** The live state: in memory, or built from the caller's snapshot of D1. */
  private async load(snapshot: CaseSnapshot): Promise<CaseState> {
    if (!this.state) {
      const { state, memo } = await stateFrom(snapshot);
      this.state ??= state;
      for (const [id, m] of memo) if (!this.memo.has(id)) this.memo.set(id, m);
    }
    return this.state;
  }

  private remember(id: string, m: Memo): void {
    this.memo.set(id, m);
    if (this.memo.size > MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value as string);
  }

  private source(sourceId: string): Promise<LoadedSource | null> {
    return loadSource(this.db, getConfig(this.env).encryptionKey, sourceId);
  }

  private endpoints(customerId: string): Promise<LoadedEndpoint[]> {
    return customerEndpoints(this.db, getConfig(this.env).encryptionKey, customerId);
  }

  /** Receipts of this case, in arrival order: each is stale, unchanged, forwarded, failed or left for a retry. */
  process(key: CaseKey, receipts: ReceiptInput[], snapshot: CaseSnapshot): Promise<ProcessResult> {
    return this.active(() => this.processNow(key, receipts, snapshot));
  }

  private async processNow(key: CaseKey, receipts: ReceiptInput[], snapshot: CaseSnapshot): Promise<ProcessResult> {
    const source = await this.source(key.sourceId);
    const { results, events, sends } = await this.serial(async () => {
      const s = await this.load(snapshot);
      const results: ReceiptResult[] = [];
      const events: StoredEvent[] = [];
      const fresh: StoredEvent[] = [];
      for (const r of receipts) {
        const m = this.memo.get(r.id);
        if (m) {
          // Handed over again (a redelivered message): same answer, and its event again if it had one.
          results.push(m.result);
          if (m.event) events.push(m.event);
          continue;
        }
        const trigger: Trigger = {
          kind: "webhook",
          provider_event_type: r.eventType,
          provider_event_id: r.providerEventId,
          received_at: new Date(r.receivedAt).toISOString(),
        };
        const c = await this.compute(s, key, source, r, trigger);
        results.push(c.result);
        if (c.result.outcome !== "retry") this.remember(r.id, c);
        if (c.event) {
          events.push(c.event);
          fresh.push(c.event);
        }
      }
      return { results, events, sends: await this.startFirstAttempts(fresh, key.customerId) };
    });
    return this.finish(source, results, events, sends);
  }

  /**
   * Cron: refetch the case if it has been quiet for the source's reconcile_after_seconds, and forward
   * its state as a `reconcile` event only if it changed.
   */
  reconcile(key: CaseKey, snapshot: CaseSnapshot, now = Date.now()): Promise<ReconcileResult> {
    return this.active(() => this.reconcileNow(key, snapshot, now));
  }

  private async reconcileNow(key: CaseKey, snapshot: CaseSnapshot, now: number): Promise<ReconcileResult> {
    const source = await this.source(key.sourceId);
    const afterMs = (source?.row.reconcileAfterSeconds ?? DEFAULT_RECONCILE_AFTER_SECONDS) * 1000;
    if (!source || !source.adapter.canRefetch(source.config)) {
      return { receipts: [], events: [], caseRow: { terminal: source === null, reconcileAfterSeconds: afterMs / 1000 }, health: [], checked: "skipped", nextCheckAt: now + afterMs, receipt: null };
    }
    let receipt: ReconcileResult["receipt"] = null;
    let notDueUntil: number | null = null;
    const { results, events, sends } = await this.serial(async () => {
      const s = await this.load(snapshot);
      const last = s.lastActivityAt ?? 0;
      if (now - last < afterMs) {
        notDueUntil = last + afterMs;
        return { results: [], events: [], sends: [] };
      }
      const id = newId("rcv", now);
      const r: ReceiptInput = { id, subject: "case", version: null, eventType: "reconcile", providerEventId: null, receivedAt: now, body: "null" };
      const c = await this.compute(s, key, source, r, { kind: "reconcile", provider_event_type: null, provider_event_id: null, received_at: new Date(now).toISOString() });
      if (c.result.outcome === "retry") {
        notDueUntil = now + RECONCILE_RETRY_MS;
        return { results: [c.result], events: [], sends: [] };
      }
      s.lastActivityAt = now;
      if (!c.event) return { results: [c.result], events: [], sends: [] };
      receipt = { id, receivedAt: now };
      return { results: [c.result], events: [c.event], sends: await this.startFirstAttempts([c.event], key.customerId) };
    });
    const done = await this.finish(source, results, events, sends);
    return {
      ...done,
      checked: notDueUntil !== null && results.length === 0 ? "not_due" : "due",
      nextCheckAt: notDueUntil ?? now + afterMs,
      receipt,
    };
  }

  /**
   * Drop the state in memory: a receipt of this case was dead-lettered, so what this object computed
   * for it may never have been stored. The next call starts again from D1's record.
   */
  forget(): Promise<void> {
    return this.active(async () => {
      await this.serial(async () => {
        this.state = undefined;
        this.memo.clear();
      });
    });
  }

  /** One attempt of a queued delivery (retry, held release, replay, recover), in order per endpoint. */
  deliver(input: DeliverInput): Promise<DeliverResult> {
    return this.active(() => this.deliverNow(input));
  }

  private deliverNow(input: DeliverInput): Promise<DeliverResult> {
    return this.onChain(input.endpointId, async () => {
      const memoKey = `${input.deliveryId}#${input.attemptsMade + 1}`;
      const memo = this.sendMemo.get(memoKey);
      if (memo) return memo;
      const none = (outcome: DeliverResult["outcome"]): DeliverResult => ({ outcome, attempt: null, retryAfterSeconds: null, health: [] });
      const endpoint = (await this.endpoints(input.key.customerId)).find((e) => e.row.id === input.endpointId);
      if (!endpoint) return none("no_endpoint");
      if (endpoint.row.status !== "active") return none("held");
      if (!input.replay && (await this.watermark(input.key, input.endpointId)) > input.event.sequence) return none("superseded");
      const sent = await sendOnce(endpoint, input.event.payload);
      const health = this.observe(endpoint, input.event.sequence, sent.outcome, sent.attempt.at);
      const result: DeliverResult = { outcome: sent.outcome, attempt: sent.attempt, retryAfterSeconds: sent.retryAfterSeconds, health };
      this.sendMemo.set(memoKey, result);
      if (this.sendMemo.size > SEND_MEMO_LIMIT) this.sendMemo.delete(this.sendMemo.keys().next().value as string);
      return result;
    });
  }

  private async finish(source: LoadedSource | null, results: ReceiptResult[], events: StoredEvent[], sends: Promise<HealthChange[]>[]): Promise<ProcessResult> {
    const health = (await Promise.all(sends)).flat();
    return {
      receipts: results,
      events,
      caseRow: { terminal: this.state?.terminal ?? false, reconcileAfterSeconds: source?.row.reconcileAfterSeconds ?? DEFAULT_RECONCILE_AFTER_SECONDS },
      health,
    };
  }

  private async compute(s: CaseState, key: CaseKey, source: LoadedSource | null, r: ReceiptInput, trigger: Trigger): Promise<Computed> {
    const now = Date.now();
    const result = (outcome: ReceiptResult["outcome"], detail: string | null = null, eventId: string | null = null): Computed => ({
      result: { receiptId: r.id, outcome, detail, eventId },
      event: null,
    });
    if (!source) return result("failed", "source_deleted: the source no longer exists");
    const prev = s.versions[r.subject];
    if (r.version !== null && prev !== undefined && compareVersions(r.version, prev) < 0) {
      return result("stale", `version ${r.version} is older than ${prev}, already seen`);
    }
    let body: unknown = null;
    try {
      body = JSON.parse(r.body);
    } catch {
      // A spooled body that could not be read; the refetched state is what matters.
    }
    const event = { eventType: r.eventType, subject: r.subject, caseId: key.caseId, body };
    let state: unknown = body;
    let verified = false;
    if (source.adapter.canRefetch(source.config)) {
      let outcome;
      try {
        const config = getConfig(this.env);
        outcome = await refetchWithRetries(source, tokenCache(this.db, config.encryptionKey, key.sourceId), key.caseId, { allowLocalUrls: config.allowLocalUrls });
      } catch (err) {
        return result("retry", `refetch_failed: ${errorSummary(err)}`);
      }
      verified = true;
      if (outcome.kind === "gone") {
        state = null;
        const gone = source.adapter.normalize({ event, state: null, verified }, source.config);
        if (gone.status !== "deleted") {
          this.seen(s, r, now);
          s.terminal = true;
          return result("failed", `gone: the provider answered ${outcome.httpStatus} for this case; it is closed`);
        }
      } else if (outcome.kind === "found") {
        state = redactCredentials(outcome.state);
      } else {
        verified = false;
      }
    }
    const n = source.adapter.normalize({ event, state, verified }, source.config);
    const fingerprint = await eventFingerprint(state, n.type, n.check);
    this.seen(s, r, now);
    if (fingerprint === s.fingerprint) return result("unchanged", "the provider's state is the same as the last event forwarded, of the same type");

    const id = eventIdForReceipt(r.id);
    const sequence = ++s.sequence;
    const payload: Envelope = {
      type: n.type,
      timestamp: new Date(now).toISOString(),
      data: {
        event_id: id,
        provider: source.row.provider,
        source_id: key.sourceId,
        case_id: key.caseId,
        sequence,
        status: n.status,
        provider_status: n.provider_status,
        check: n.check,
        trigger,
        verified,
        state,
      },
    };
    const endpoints = await this.endpoints(key.customerId);
    const deliveries: Delivery[] = endpoints
      .filter((ep) => filterMatches(ep.row.filter, { type: n.type, sourceId: key.sourceId, group: n.group }))
      .map((ep) => ({ id: newDeliveryId(id), endpoint_id: ep.row.id, status: ep.row.status === "active" ? "pending" : "held", replay: false, attempts: [], next_attempt_at: null }));
    const stored: StoredEvent = {
      id,
      customerId: key.customerId,
      sourceId: key.sourceId,
      caseId: key.caseId,
      sequence,
      type: n.type,
      status: n.status,
      groupId: n.group,
      receiptId: r.id,
      payload,
      deliveries,
      createdAt: now,
    };
    s.fingerprint = fingerprint;
    s.terminal = n.terminal;
    return { result: { receiptId: r.id, outcome: "forwarded", detail: null, eventId: id }, event: stored };
  }

  private seen(s: CaseState, r: ReceiptInput, now: number): void {
    const prev = s.versions[r.subject];
    if (r.version !== null && (prev === undefined || compareVersions(r.version, prev) > 0)) s.versions[r.subject] = r.version;
    s.lastActivityAt = now;
  }

  /** Queues each new event's first attempts on its endpoints' chains, in sequence order. */
  private async startFirstAttempts(events: StoredEvent[], customerId: string): Promise<Promise<HealthChange[]>[]> {
    if (!events.length) return [];
    const endpoints = new Map((await this.endpoints(customerId)).map((e) => [e.row.id, e]));
    const sends: Promise<HealthChange[]>[] = [];
    for (const event of events) {
      for (const delivery of event.deliveries) {
        const endpoint = endpoints.get(delivery.endpoint_id);
        if (delivery.status !== "pending" || !endpoint) continue;
        sends.push(this.onChain(endpoint.row.id, () => this.firstAttempt(endpoint, event, delivery)));
      }
    }
    return sends;
  }

  private async firstAttempt(endpoint: LoadedEndpoint, event: StoredEvent, delivery: Delivery): Promise<HealthChange[]> {
    const sent = await sendOnce(endpoint, event.payload);
    delivery.attempts.push(sent.attempt);
    if (sent.outcome === "succeeded") delivery.status = "succeeded";
    else if (sent.outcome === "gone") delivery.status = "failed";
    else {
      const delay = nextRetryDelay(1, sent.retryAfterSeconds);
      delivery.status = delay === null ? "failed" : "retrying";
      delivery.next_attempt_at = delay === null ? null : new Date(Date.parse(sent.attempt.at) + delay * 1000).toISOString();
    }
    return this.observe(endpoint, event.sequence, sent.outcome, sent.attempt.at);
  }

  /** Tracks acknowledgements for the superseded rule and reports the endpoint's health. */
  private observe(endpoint: LoadedEndpoint, sequence: number, outcome: "succeeded" | "retry" | "gone", atIso: string): HealthChange[] {
    const at = Date.parse(atIso);
    const endpointId = endpoint.row.id;
    if (outcome === "succeeded") {
      this.acked.set(endpointId, Math.max(this.acked.get(endpointId) ?? 0, sequence));
      return [{ endpointId, kind: "success", at }];
    }
    if (outcome === "gone") return [{ endpointId, kind: "disable", at, reason: "the endpoint answered 410 Gone" }];
    const since = endpoint.row.failingSince;
    if (since !== null && at - since >= DISABLE_AFTER_MS) {
      return [{ endpointId, kind: "disable", at, reason: "every attempt failed for 5 days" }];
    }
    return [{ endpointId, kind: "failure", at }];
  }

  /** Highest sequence of this case the endpoint acknowledged, from memory or, once per instance, from D1. */
  private async watermark(key: CaseKey, endpointId: string): Promise<number> {
    if (!this.ackedLoaded) {
      const rows = await this.env.DB.prepare(
        `SELECT json_extract(d.value, '$.endpoint_id') AS endpoint_id, MAX(e.sequence) AS seq
           FROM receipts r
           JOIN events e ON e.id = 'evt_' || substr(r.id, 5)
           JOIN json_each(e.deliveries) d
          WHERE r.source_id = ?1 AND r.case_id = ?2 AND json_extract(d.value, '$.status') = 'succeeded'
          GROUP BY 1
         UNION ALL
         SELECT endpoint_id, MAX(sequence) FROM deliveries
          WHERE source_id = ?1 AND case_id = ?2 AND status = 'succeeded'
          GROUP BY 1`,
      )
        .bind(key.sourceId, key.caseId)
        .all<{ endpoint_id: string; seq: number }>();
      for (const row of rows.results) this.acked.set(row.endpoint_id, Math.max(this.acked.get(row.endpoint_id) ?? 0, row.seq));
      this.ackedLoaded = true;
    }
    return this.acked.get(endpointId) ?? 0;
  }
}
