/**
 * The case object's sender: every attempt to every endpoint, one endpoint at a time in sequence
 * order (a chain per endpoint; the object's input gate opens while it awaits fetch, so order is
 * kept here, not by the runtime). Each step reads the delivery from storage, decides, and writes
 * the result back before the next step; a send leaves the object only after the decision that
 * made it is stored.
 *
 * Superseded: an endpoint never receives a case's event after it acknowledged a later one. The
 * watermark is the highest sequence the endpoint acknowledged, or may have: when an attempt is in
 * flight while an older delivery to the same endpoint is still unsettled, the attempt is marked in
 * storage first, so that if the object stops before the answer is recorded, the attempt counts as
 * perhaps acknowledged and the older one is superseded instead of sent after it. With nothing
 * older unsettled, an unrecorded answer can only lead to the same event being sent again.
 *
 * Answers are written once per run, not once per attempt: the first attempts of one event to each
 * of its endpoints are one row write. What stays unwritten is only ever the last answer of a
 * chain: before the next send to an endpoint, its earlier answers are written (the watermark that
 * send relies on is stored), and a run writes the rest before it returns, so before the index
 * hears of any of them. An object stopped in between sends those events again: the case above.
 */
import type { EndpointRecord } from "../db/control-plane";
import type { IssueRef } from "../domain/issues";
import type { IndexWrite } from "../db/index-writes";
import type { Delivery, Envelope } from "../domain";
import type { FlowControl } from "../flow/client";
import { afterCooldown, cooldownAfter } from "../flow/cooldown";
import { errorSummary, log } from "../lib/log";
import { DISABLE_AFTER_MS } from "../pipeline/schedule";
import type { SendResult } from "../pipeline/send";
import { abandoned, afterAttempt, deferred, held, indexedStatus, interrupted, isOpen, isUnsettled, markInFlight, superseded } from "./delivery-state";
import type { CaseStore, DeliveryRef } from "./storage";

/** One failed attempt in a few words, for its issue (no response body: it may quote anything). */
function attemptSummary(sent: SendResult): string {
  const a = sent.attempt;
  return a.status_code !== null ? `HTTP ${a.status_code}` : `no answer (${a.error_kind ?? "error"})`;
}

export type SenderDeps = {
  store: CaseStore;
  /** The customer's endpoints as of now. */
  endpoints: () => readonly EndpointRecord[];
  /** Who the index rows are about. */
  owner: { customerId: string; sourceId: string; caseId: string };
  send: (endpoint: EndpointRecord, envelope: Envelope) => Promise<SendResult>;
  now: () => number;
  /** Failed attempts in a row to one endpoint that open its endpoint.failing issue (ALERT_FAILING_AFTER). */
  failingAfter: number;
  /** The limiters of rate-limited endpoints; asked only for those. */
  flow?: FlowControl;
};

/** The limiter could not be asked: wait this long rather than send past the limit. */
export const LIMITER_UNAVAILABLE_DEFER_MS = 5_000;

/** An event as an endpoint receives it: a replay says so in its trigger. */
export function envelopeFor(envelope: Envelope, delivery: Delivery): Envelope {
  if (!delivery.replay) return envelope;
  return { ...envelope, data: { ...envelope.data, trigger: { ...envelope.data.trigger, kind: "replay" } } };
}

const dueAt = (d: Delivery) => (d.next_attempt_at === null ? Number.POSITIVE_INFINITY : Date.parse(d.next_attempt_at));

/**
 * The endpoint's next delivery to send now, in sequence order: the first open one that is due,
 * unless a deferred one comes before it (it keeps its place; a retrying one waiting for its
 * schedule does not hold later events back, which the superseded rule covers).
 */
function firstDue(mine: readonly DeliveryRef[], now: number): DeliveryRef | undefined {
  const open = mine.filter((r) => isOpen(r.delivery)).sort((a, b) => a.sequence - b.sequence || a.delivery.created_at.localeCompare(b.delivery.created_at));
  for (const r of open) {
    if (dueAt(r.delivery) <= now) return r;
    if (r.delivery.deferred) return undefined;
  }
  return undefined;
}

export class Sender {
  private readonly chains = new Map<string, Promise<void>>();

  /**
   * Sends what is due to each of `endpointIds` (default: every endpoint with an open delivery),
   * and resolves once each endpoint's chain has drained. Index writes of what changed are pushed
   * to `index`.
   */
  async run(deps: SenderDeps, index: IndexWrite[], endpointIds?: Iterable<string>): Promise<void> {
    const ids = new Set(
      endpointIds ??
        deps.store
          .unsettledDeliveries()
          .filter((r) => isOpen(r.delivery))
          .map((r) => r.delivery.endpoint_id),
    );
    // Every chain runs to its end before the answers are written, even when one of them throws.
    const settled = await Promise.allSettled([...ids].map((id) => this.onChain(id, () => this.drain(deps, id, index))));
    deps.store.writeDeliveries();
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** The earliest attempt due, for the object's alarm. */
  nextDueAt(store: CaseStore): number | null {
    let next = Number.POSITIVE_INFINITY;
    for (const r of store.unsettledDeliveries()) if (isOpen(r.delivery)) next = Math.min(next, dueAt(r.delivery));
    return Number.isFinite(next) ? next : null;
  }

  /**
   * A new object instance: attempts marked in flight were cut off when the last one stopped.
   * Recorded as interrupted and retried (src/case/delivery-state.ts).
   */
  recoverInterrupted(store: CaseStore, now: number): void {
    store.transaction(() => {
      for (const r of store.unsettledDeliveries()) if (r.delivery.in_flight_since !== null) store.putDelivery(r.n, interrupted(r.delivery, now));
    });
  }

  private onChain(endpointId: string, step: () => Promise<void>): Promise<void> {
    const run = (this.chains.get(endpointId) ?? Promise.resolve()).then(step, step);
    const tail = run.catch(() => {});
    this.chains.set(endpointId, tail);
    void tail.then(() => {
      if (this.chains.get(endpointId) === tail) this.chains.delete(endpointId);
    });
    return run;
  }

  private async drain(deps: SenderDeps, endpointId: string, index: IndexWrite[]): Promise<void> {
    // A cooldown learned from this chain's own attempts, before the endpoint's record says so.
    let coolingHere = 0;
    for (;;) {
      const now = deps.now();
      const { unsettled: mine, acknowledgedAfter } = deps.store.backlogOf(endpointId);
      const next = firstDue(mine, now);
      if (!next) return;
      const endpoint = deps.endpoints().find((e) => e.row.id === endpointId);
      const d = next.delivery;
      if (!endpoint) {
        // The endpoint was deleted: nothing will ever be sent; the index forgets it.
        this.put(deps, next, abandoned(d), index, true);
        continue;
      }
      if (endpoint.row.status !== "active") {
        this.put(deps, next, held(d), index);
        continue;
      }
      if (!d.replay && acknowledgedAfter(next.sequence)) {
        this.put(deps, next, superseded(d), index);
        continue;
      }
      const envelope = deps.store.envelopeAt(next.n);
      if (!envelope) {
        this.put(deps, next, abandoned(d), index, true);
        continue;
      }
      const cooling = Math.max(endpoint.row.throttledUntil ?? 0, coolingHere);
      if (cooling > now) {
        this.put(deps, next, deferred(d, afterCooldown(cooling), "cooldown"), index);
        return;
      }
      let leaseId: string | null = null;
      const limit = endpoint.row.rateLimit;
      if (limit && deps.flow) {
        const grant = await deps.flow.acquire(endpointId, limit, d.deferred === "rate_limit" ? dueAt(d) : null).catch((err: unknown) => {
          log("warn", "endpoint limiter not reached; the delivery waits", { endpoint_id: endpointId, error: errorSummary(err) });
          return { granted: false as const, retryAt: deps.now() + LIMITER_UNAVAILABLE_DEFER_MS };
        });
        if (!grant.granted) {
          this.put(deps, next, deferred(d, grant.retryAt, "rate_limit"), index);
          return;
        }
        leaseId = grant.leaseId;
      }
      const olderUnsettled = mine.some((r) => r.sequence < next.sequence && !r.delivery.replay && isUnsettled(r.delivery));
      let sending = d;
      if (olderUnsettled) {
        sending = markInFlight(d, deps.now());
        deps.store.putDelivery(next.n, sending);
      }
      // What this endpoint acknowledged before is stored before anything more goes to it.
      deps.store.writeDeliveries(endpointId);
      const sent = await deps.send(endpoint, envelopeFor(envelope, d));
      // A lost release is covered by the lease's timeout.
      const released = leaseId !== null && deps.flow ? deps.flow.release(endpointId, leaseId).catch(() => {}) : null;
      // The delivery as stored now (nothing else changes an open delivery while its chain is busy).
      const current = deps.store.deliveryAt(next.n, d.id) ?? sending;
      const after = afterAttempt(current, sent);
      this.put(deps, next, after, index, false, "with the run");
      const ref = { source_id: deps.owner.sourceId, case_id: deps.owner.caseId, event_id: next.eventId, delivery_id: d.id };
      // A delivery's earlier attempts all failed (a success settles it): a success now is a recovery.
      this.observe(deps, endpoint, sent, index, { retried: current.attempts.length > 0, ref });
      if (after.status === "failed" && sent.outcome === "retry") {
        index.push({
          kind: "issue",
          issue: "delivery.exhausted",
          subjectId: endpointId,
          count: 1,
          detail: `failed after ${after.attempts.length - after.retry_base} attempts, the whole retry schedule`,
          ref,
          at: Date.parse(sent.attempt.at),
        });
      }
      coolingHere = Math.max(coolingHere, this.throttle(endpoint, sent, index) ?? 0);
      await released;
    }
  }

  /**
   * Stores a delivery's new state and says what the index should know of it (every transition goes
   * through here): now, or, for an attempt's answer, with the run's other answers.
   */
  put(deps: SenderDeps, ref: DeliveryRef, next: Delivery, index: IndexWrite[], forget = false, write: "now" | "with the run" = "now"): void {
    if (write === "now") deps.store.putDelivery(ref.n, next);
    else deps.store.recordDelivery(ref.n, next);
    const before = indexedStatus(ref.delivery);
    const after = forget ? null : indexedStatus(next);
    const at = deps.now();
    if (after !== null && after !== before) {
      index.push({
        kind: "delivery",
        id: next.id,
        ...deps.owner,
        endpointId: next.endpoint_id,
        eventId: ref.eventId,
        sequence: ref.sequence,
        status: after,
        replay: next.replay,
        createdAt: Date.parse(next.created_at),
        at,
      });
    } else if (after === null && (before !== null || forget)) {
      index.push({ kind: "delivery_settled", id: next.id, at });
    }
    // A failed delivery recovered (or gone): the endpoint's delivery.exhausted resolves once none is left failed.
    if (before === "failed" && after !== "failed") {
      index.push({
        kind: "issue_clear",
        issue: "delivery.exhausted",
        subjectId: next.endpoint_id,
        resolution: "no failed delivery is left to the endpoint",
        unless: "failed_deliveries",
        at,
      });
    }
  }

  /**
   * The endpoint's health as one attempt shows it: counters, failing since, disabled, and its
   * alerts (src/alerts): each failed attempt counts towards endpoint.failing, a success after
   * failures resolves it, a disable opens endpoint.disabled.
   */
  private observe(deps: SenderDeps, endpoint: EndpointRecord, sent: SendResult, index: IndexWrite[], attempt: { retried: boolean; ref: IssueRef }): void {
    const at = Date.parse(sent.attempt.at);
    const endpointId = endpoint.row.id;
    const ok = sent.outcome === "succeeded";
    index.push({ kind: "endpoint_attempts", endpointId, at, attempts: 1, failures: ok ? 0 : 1 });
    if (ok) {
      if (endpoint.row.failingSince !== null) index.push({ kind: "endpoint_health", endpointId, change: "success", at });
      // Only after a failure this object or D1 knows of: a healthy endpoint's successes write nothing more.
      if (endpoint.row.failingSince !== null || attempt.retried) {
        index.push({ kind: "issue_clear", issue: "endpoint.failing", subjectId: endpointId, resolution: "the endpoint answered 2xx again", at });
      }
      return;
    }
    index.push({
      kind: "issue",
      issue: "endpoint.failing",
      subjectId: endpointId,
      count: 1,
      threshold: deps.failingAfter,
      detail: attemptSummary(sent),
      ref: attempt.ref,
      at,
    });
    const disable = (reason: string) => {
      index.push({ kind: "endpoint_disable", endpointId, reason, at });
      index.push({ kind: "issue", issue: "endpoint.disabled", subjectId: endpointId, count: 1, detail: reason, ref: attempt.ref, at });
    };
    if (sent.outcome === "gone") {
      disable("the endpoint answered 410 Gone");
      return;
    }
    const since = endpoint.row.failingSince;
    if (since === null) index.push({ kind: "endpoint_health", endpointId, change: "failure", at });
    else if (at - since >= DISABLE_AFTER_MS) disable("every attempt failed for 5 days");
  }

  /** After a throttle answer (429, 502, 504), the endpoint's cooldown for every case object: until when, or null. */
  private throttle(endpoint: EndpointRecord, sent: SendResult, index: IndexWrite[]): number | null {
    const until = cooldownAfter(sent);
    if (until !== null)
      index.push({ kind: "endpoint_throttle", endpointId: endpoint.row.id, customerId: endpoint.row.customerId, until, at: Date.parse(sent.attempt.at) });
    return until;
  }
}
