/**
 * CaseObject: one Durable Object per case (named `source_id:case_id`), and its own SQLite storage
 * is the case's record. It decides every receipt of its case one at a time, numbers the events,
 * makes every attempt to every endpoint in order, retries on its alarm, and prunes itself.
 *
 * This class wires the parts and keeps the entry points thin: decisions in ./process.ts and
 * ./decide.ts, sends in ./sender.ts, storage in ./storage.ts. What D1's index should learn is
 * returned to the INBOX consumer (which writes a whole batch at once), or, from every other entry
 * point, kept in the object's outbox until D1 has it.
 */
import { DurableObject } from "cloudflare:workers";
import { announce } from "../alerts/announce";
import { createDb } from "../db/client";
import { forgetEndpoints } from "../db/control-plane";
import { disablesEndpoints, indexBatches, indexStatements, runIndexBatches, throttledCustomers, type ControlWrite, type IndexWrite } from "../db/index-writes";
import { limiterClient } from "../flow/client";
import type { Delivery } from "../domain";
import { getConfig, type Config } from "../lib/config";
import { newId } from "../lib/ids";
import { errorSummary, log } from "../lib/log";
import type { ReceiptMessage } from "../pipeline/messages";
import { sendOnce } from "../pipeline/send";
import { tokenCache } from "../pipeline/tokens";
import { loadContext, resolveContext, type CaseContext } from "./context";
import { filterMatches, newDelivery, reconcileDue } from "./decide";
import { recovered, released } from "./delivery-state";
import { answer, caseIndexWrite, receive, reconcileNow, replayStored, type ProcessDeps } from "./process";
import { Sender, type SenderDeps } from "./sender";
import { CaseStore } from "./storage";
import {
  caseKeyOf,
  type AttemptList,
  type CaseKey,
  type CaseTrail,
  type EventDetail,
  type ProcessInput,
  type ProcessResult,
  type ReceiptResult,
  type ReconcileResult,
  type RecoverResult,
  type ReplayResult,
  type StashInput,
} from "./types";
import { deliveryRecord, eventRecord, trailOf } from "./views";

/** After the outbox fails to reach D1: 10 s doubling to an hour. */
const outboxBackoffMs = (failures: number) => Math.min(10_000 * 2 ** Math.max(0, failures - 1), 3_600_000);
/** Retention runs at most this often in one object. */
const PRUNE_INTERVAL_MS = 3_600_000;
/** A case whose receipt was dead-lettered is reconciled this soon (the missed change is fetched). */
const RECONCILE_AFTER_FAILURE_MS = 3_600_000;

/**
 * Index writes that are activity figures: written directly, lost if D1 is down (never through the
 * outbox). So is an alert's plain clear (a success after failures): if lost, the next one resolves
 * the issue; a clear that waits for the index (`unless`) goes through the outbox, after the writes it
 * waits for. A cooldown is best effort too: it only matters while it lasts.
 */
const bestEffort = (w: IndexWrite): w is ControlWrite =>
  w.kind === "endpoint_attempts" || w.kind === "endpoint_health" || w.kind === "endpoint_throttle" || (w.kind === "issue_clear" && !w.unless);

export class CaseObject extends DurableObject<Env> {
  private readonly store: CaseStore;
  private readonly sender = new Sender();
  private readonly config: Config;
  private decisions: Promise<unknown> = Promise.resolve();
  private alarmAt: number | null = null;
  private lastPruneAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = getConfig(env);
    this.store = new CaseStore(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => {
      this.store.migrateIfStored();
      if (this.store.exists) this.sender.recoverInterrupted(this.store, Date.now());
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private get key(): CaseKey {
    return caseKeyOf(this.ctx.id.name);
  }

  // ---- entry points ----------------------------------------------------------------------------

  /** The INBOX consumer's receipts for this case, in arrival order; index writes come back to it. */
  async process(input: ProcessInput): Promise<ProcessResult> {
    const context = resolveContext(input.context);
    const index: IndexWrite[] = [];
    const deps = this.deps(context);
    const results = await this.decide(async () => {
      const out: ReceiptResult[] = [];
      for (const r of input.receipts) out.push(await receive(deps, r, input.attempt, index));
      return out;
    });
    await this.sendDue(context, (w) => index.push(...w));
    const caseRow = caseIndexWrite(deps);
    if (caseRow) index.push(caseRow);
    this.store.writeDeliveries();
    await this.reschedule();
    return { results, index };
  }

  /** Ingest: a body too big for a queue message, stored here before the provider's ack. */
  async stash(input: StashInput): Promise<void> {
    this.store.ensure();
    if (this.store.receiptById(input.id)) return;
    this.store.insertReceipt({
      id: input.id,
      kind: "webhook",
      dedupeKey: input.dedupeKey,
      providerEventId: input.providerEventId,
      providerEventType: input.providerEventType,
      subject: input.subject,
      version: input.version,
      receivedAt: input.receivedAt,
      outcome: "pending",
      reason: "stashed",
      detail: "waiting for its queue message",
      tries: 0,
      bodySha256: input.bodySha256,
      body: input.body,
    });
    // A stash whose message never comes is removed by retention.
    await this.reschedule();
  }

  /** The cron: refetch the case if it has been quiet for its source's reconcile_after_seconds. */
  async reconcile(now = Date.now()): Promise<ReconcileResult> {
    const context = await this.context();
    const source = context.source;
    const afterMs = (source?.row.reconcileAfterSeconds ?? 0) * 1000;
    if (!source?.adapter.canRefetch(source.config)) {
      return { checked: "skipped", nextCheckAt: now + Math.max(afterMs, 86_400_000), outcome: null, eventId: null, error: null };
    }
    const index: IndexWrite[] = [];
    const deps = this.deps(context);
    const ran = await this.decide(async () => {
      const due = reconcileDue(this.store.lastActivityAt(), afterMs, now);
      if (!due.due) return { due };
      return { due, result: await reconcileNow(deps, newId("rcv", now), now, index) };
    });
    let out: ReconcileResult;
    if (!("result" in ran) || !ran.result) {
      out = { checked: "not_due", nextCheckAt: ran.due.due ? now + afterMs : ran.due.at, outcome: null, eventId: null, error: null };
    } else if (ran.result.outcome === "retry" || (ran.result.outcome === "failed" && ran.result.reason !== "gone")) {
      out = {
        checked: "failed",
        nextCheckAt: now + afterMs,
        outcome: ran.result.outcome,
        eventId: null,
        error: { reason: ran.result.reason ?? "refetch_failed", detail: ran.result.detail ?? "" },
      };
    } else {
      out = { checked: "due", nextCheckAt: now + afterMs, outcome: ran.result.outcome, eventId: ran.result.eventId, error: null };
    }
    const caseRow = caseIndexWrite(deps);
    if (caseRow && out.checked === "due") index.push(caseRow);
    if (out.outcome === "forwarded" && out.eventId) {
      // A change no webhook announced (missed, or never sent): informational.
      index.push({
        kind: "issue",
        issue: "case.recovered_by_reconcile",
        subjectId: this.key.sourceId,
        count: 1,
        detail: "a reconcile forwarded a change no webhook had announced",
        ref: { source_id: this.key.sourceId, case_id: this.key.caseId, event_id: out.eventId },
        at: now,
      });
    }
    await this.publish(index);
    await this.sendDue(context, (w) => this.publish(w));
    await this.reschedule();
    return out;
  }

  /**
   * A receipt message that exhausted its retries: recorded as failed here and in the index, so an
   * operator sees it and can replay it; if it was decided after all, the index learns that instead.
   */
  async deadLetter(m: ReceiptMessage): Promise<void> {
    const context = await this.context();
    const deps = this.deps(context);
    const index: IndexWrite[] = [];
    await this.decide(async () => {
      this.store.ensure();
      const row = this.store.receiptById(m.id);
      if (row && row.outcome !== "pending") {
        answer(deps, row, index);
        return;
      }
      const detail = "could not be processed after every retry; see the logs for the cause";
      const failed = { outcome: "failed" as const, reason: "dead_lettered", detail, body: m.body ?? row?.body ?? null };
      if (row) this.store.updateReceipt(row.n, failed);
      else {
        this.store.insertReceipt({
          id: m.id,
          kind: "webhook",
          dedupeKey: m.dedupe_key,
          providerEventId: m.provider_event_id,
          providerEventType: m.event_type,
          subject: m.subject,
          version: m.version,
          receivedAt: m.received_at,
          tries: 0,
          bodySha256: m.body_sha256,
          ...failed,
        });
      }
      answer(deps, this.store.receiptById(m.id)!, index);
      index.push({
        kind: "issue",
        issue: "receipt.failed",
        subjectId: this.key.sourceId,
        count: 1,
        detail: "a receipt was dead-lettered after every retry",
        ref: { source_id: this.key.sourceId, case_id: this.key.caseId, receipt_id: m.id },
        at: Date.now(),
      });
      index.push({
        kind: "case_due",
        sourceId: this.key.sourceId,
        caseId: this.key.caseId,
        customerId: m.customer_id,
        dueAt: Date.now() + RECONCILE_AFTER_FAILURE_MS,
        at: Date.now(),
      });
    });
    await this.publish(index);
    await this.reschedule();
  }

  /** An operator's replay of a failed receipt: decided again from its stored body. */
  async replayReceipt(receiptId: string): Promise<ReceiptResult | null> {
    const context = await this.context();
    const deps = this.deps(context);
    const index: IndexWrite[] = [];
    const out = await this.decide(async () => {
      const row = this.store.receiptById(receiptId);
      if (!row) return null;
      if (row.outcome !== "failed") return answer(deps, row, []);
      return replayStored(deps, row, index);
    });
    if (out) {
      const caseRow = caseIndexWrite(deps);
      if (caseRow) index.push(caseRow);
      await this.publish(index);
      await this.sendDue(context, (w) => this.publish(w));
      await this.reschedule();
    }
    return out;
  }

  /** An operator's replay of an event: to one endpoint of the customer, or to every endpoint whose filter matches. */
  async replayEvent(eventId: string, endpointId: string | null): Promise<ReplayResult> {
    const context = await this.context();
    const row = this.store.receiptByEventId(eventId);
    if (!row?.envelope || row.sequence === null || !row.type) return { ok: false, error: "event_not_found" };
    const targets = endpointId ? context.endpoints.filter((e) => e.row.id === endpointId) : context.endpoints;
    if (endpointId && !targets.length) return { ok: false, error: "endpoint_not_found" };
    const now = Date.now();
    const created: Delivery[] = targets
      .filter((e) => endpointId !== null || filterMatches(e.row.filter, { type: row.type!, sourceId: this.key.sourceId, group: row.groupId }))
      .map((e) => newDelivery({ id: e.row.id, status: e.row.status, filter: e.row.filter }, eventId, now, true));
    const index: IndexWrite[] = [];
    this.store.transaction(() => {
      for (const d of created) this.store.putDelivery(row.n, d);
    });
    for (const d of created) {
      if (d.status === "held") {
        index.push({
          kind: "delivery",
          id: d.id,
          ...this.owner(context),
          endpointId: d.endpoint_id,
          eventId,
          sequence: row.sequence,
          status: "held",
          replay: true,
          createdAt: now,
          at: now,
        });
      }
    }
    await this.publish(index);
    // Insurance: if this object stops before the sends below, its alarm sends them.
    await this.reschedule(now + 30_000);
    await this.sendDue(
      context,
      (w) => this.publish(w),
      created.map((d) => d.endpoint_id),
    );
    await this.reschedule();
    const ids = new Set(created.map((d) => d.id));
    return {
      ok: true,
      deliveries: this.store
        .allDeliveries()
        .filter((r) => ids.has(r.delivery.id))
        .map(deliveryRecord),
    };
  }

  /** An operator's recover: these failed deliveries to the endpoint start a new retry cycle, due now. */
  async recover(endpointId: string, deliveryIds: string[]): Promise<RecoverResult> {
    // The endpoint was just found active: this isolate's copy of it may be seconds old.
    const context = await this.context({ freshEndpoints: true });
    const wanted = new Set(deliveryIds);
    const now = Date.now();
    const requeued: string[] = [];
    const index: IndexWrite[] = [];
    const deps = this.senderDeps(context);
    this.store.transaction(() => {
      for (const ref of this.store.deliveriesTo(endpointId)) {
        if (!wanted.has(ref.delivery.id) || ref.delivery.status !== "failed") continue;
        this.sender.put(deps, ref, recovered(ref.delivery, now), index);
        requeued.push(ref.delivery.id);
      }
    });
    await this.publish(index);
    await this.reschedule(now + 30_000);
    await this.sendDue(context, (w) => this.publish(w), [endpointId]);
    await this.reschedule();
    return { requeued, unknown: deliveryIds.filter((id) => !requeued.includes(id)) };
  }

  /** The endpoint is active again: its held deliveries go out now, in order. */
  async release(endpointId: string): Promise<{ released: number }> {
    const context = await this.context({ freshEndpoints: true });
    const now = Date.now();
    let count = 0;
    const index: IndexWrite[] = [];
    const deps = this.senderDeps(context);
    this.store.transaction(() => {
      for (const ref of this.store.deliveriesTo(endpointId)) {
        if (ref.delivery.status !== "held") continue;
        this.sender.put(deps, ref, released(ref.delivery, now), index);
        count++;
      }
    });
    await this.publish(index);
    await this.reschedule(now + 30_000);
    await this.sendDue(context, (w) => this.publish(w), [endpointId]);
    await this.reschedule();
    return { released: count };
  }

  // ---- reads -------------------------------------------------------------------------------------

  async trail(): Promise<CaseTrail> {
    const customerId = (await this.context()).source?.row.customerId ?? "";
    return trailOf(this.store, this.key, customerId);
  }

  async event(eventId: string): Promise<EventDetail | null> {
    const row = this.store.receiptByEventId(eventId);
    if (!row?.envelope) return null;
    const customerId = (await this.context()).source?.row.customerId ?? "";
    return {
      event: eventRecord(row, this.key, customerId),
      deliveries: this.store
        .allDeliveries()
        .filter((r) => r.eventId === eventId)
        .map(deliveryRecord),
    };
  }

  async attempts(deliveryId: string): Promise<AttemptList> {
    const ref = this.store.allDeliveries().find((r) => r.delivery.id === deliveryId);
    return ref ? { delivery: deliveryRecord(ref), attempts: ref.delivery.attempts } : null;
  }

  // ---- the alarm: retries, the outbox, retention ---------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const context = await this.context();
    try {
      await this.flushOutbox();
      await this.sendDue(context, (w) => this.publish(w));
      const now = Date.now();
      if (now - this.lastPruneAt >= PRUNE_INTERVAL_MS) {
        this.lastPruneAt = now;
        await this.prune(now);
      }
    } catch (err) {
      log("error", "case alarm failed", { case: this.ctx.id.name, error: errorSummary(err) });
    }
    await this.reschedule();
  }

  /**
   * Retention as the alarm would run it at `now`, a later clock than the runtime's: outside
   * production only, so `npm run bench` can price what retention writes over an event's life.
   * Returns the receipts deleted. The instance's own clock of when it last pruned is left alone,
   * so its alarm's retention runs as before.
   */
  async retainAt(now: number): Promise<number> {
    if (this.config.environment === "production") throw new Error("retainAt runs only outside production");
    const deleted = this.store.exists ? await this.prune(now) : 0;
    await this.reschedule();
    return deleted;
  }

  /** Deletes what retention allows at `now`; a delivery still pending or retrying keeps its row. */
  private prune(now: number): Promise<number> {
    return this.decide(async () => {
      const open = new Set(
        this.store
          .unsettledDeliveries()
          .filter((r) => r.delivery.status === "pending" || r.delivery.status === "retrying")
          .map((r) => r.n),
      );
      return this.store.prune(now, this.windows(), (row) => open.has(row.n)).length;
    });
  }

  // ---- wiring --------------------------------------------------------------------------------------

  private deps(context: CaseContext): ProcessDeps {
    const db = createDb(this.env.DB);
    return {
      store: this.store,
      context,
      key: this.key,
      config: this.config,
      tokens: (sourceId) => tokenCache(db, this.config.encryptionKey, sourceId),
      now: Date.now,
    };
  }

  private senderDeps(context: CaseContext): SenderDeps {
    return {
      store: this.store,
      endpoints: () => context.endpoints,
      owner: this.owner(context),
      send: sendOnce,
      now: Date.now,
      failingAfter: this.config.alertFailingAfter,
      flow: limiterClient(this.env),
    };
  }

  private owner(context: CaseContext) {
    return { customerId: context.source?.row.customerId ?? "", sourceId: this.key.sourceId, caseId: this.key.caseId };
  }

  private async context(opts: { freshEndpoints?: boolean } = {}): Promise<CaseContext> {
    return resolveContext(await loadContext(this.env, this.key.sourceId, opts));
  }

  /** Decisions run one at a time, in call order (the input gate opens while a refetch is awaited). */
  private decide<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.decisions.then(fn, fn);
    this.decisions = run.catch(() => {});
    return run;
  }

  /** Sends what is due (to `endpointIds`, or everywhere), then hands what the index should learn to `publish`. */
  private async sendDue(context: CaseContext, publish: (w: IndexWrite[]) => unknown, endpointIds?: string[]): Promise<void> {
    if (!this.store.exists) return;
    const collected: IndexWrite[] = [];
    try {
      await this.sender.run(this.senderDeps(context), collected, endpointIds);
    } finally {
      await publish(collected);
    }
  }

  /**
   * Index writes from outside a consumer's batch: the durable ones go through the outbox (stored
   * first, then sent to D1, dropped once D1 has them); activity counters go straight to D1.
   */
  private async publish(writes: readonly IndexWrite[]): Promise<void> {
    if (!writes.length) return;
    // The index never hears of a delivery state before the object has stored it.
    this.store.writeDeliveries();
    const counters = writes.filter(bestEffort);
    const durable = writes.filter((w) => !bestEffort(w));
    if (counters.length) {
      await this.env.DB.batch(indexStatements(this.env.DB, counters)).then(
        (results) => announce(this.env, results),
        (err) => log("warn", "activity counters not written", { error: errorSummary(err) }),
      );
    }
    if (disablesEndpoints(writes)) forgetEndpoints();
    for (const customerId of throttledCustomers(counters)) forgetEndpoints(customerId);
    if (!durable.length) return;
    this.store.ensure();
    this.store.addToOutbox(durable);
    await this.flushOutbox();
  }

  private async flushOutbox(): Promise<void> {
    if (!this.store.exists) return;
    const { writes } = this.store.outbox();
    if (!writes.length) return;
    try {
      const results = await runIndexBatches(this.env, indexBatches(this.env, writes));
      this.store.outboxFlushed(writes.length);
      await announce(this.env, results);
    } catch (err) {
      const failures = this.store.outboxFailed();
      log("warn", "index writes kept in the outbox", { case: this.ctx.id.name, writes: writes.length, failures, error: errorSummary(err) });
    }
  }

  private windows() {
    return { bodyMs: this.config.bodyRetentionMs, dedupeMs: this.config.dedupeWindowMs, eventMs: this.config.eventRetentionMs };
  }

  /** One alarm: the earliest of the next attempt due, the outbox's next try, the next retention deadline. */
  private async reschedule(soonest?: number): Promise<void> {
    if (!this.store.exists) return;
    const candidates: number[] = [];
    const due = this.sender.nextDueAt(this.store);
    if (due !== null) candidates.push(due);
    const { writes, failures } = this.store.outbox();
    if (writes.length) candidates.push(Date.now() + outboxBackoffMs(failures));
    const retention = this.store.nextRetention(this.windows());
    if (retention !== null) candidates.push(Math.max(retention, this.lastPruneAt + PRUNE_INTERVAL_MS));
    if (soonest !== undefined) candidates.push(soonest);
    const want = candidates.length ? Math.min(...candidates) : null;
    if (want === this.alarmAt) return;
    if (want === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(want);
    this.alarmAt = want;
  }
}
