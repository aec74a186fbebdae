/**
 * A delivery's state transitions, in one place and pure: the sender applies them and stores the
 * result before anything else leaves the object.
 *
 *   pending ─attempt─▶ succeeded | retrying | failed          held ─endpoint resumes─▶ pending/retrying
 *   retrying ─attempt─▶ succeeded | retrying | failed         failed ─recover─▶ retrying (new cycle)
 *   pending/retrying ─a later event acknowledged─▶ superseded (never for a replay)
 *   pending/retrying ─flow control says wait─▶ the same, deferred (no attempt, no failure)
 */
import type { Attempt, DeferReason, Delivery, DeliveryStatus } from "../domain";
import { newId } from "../lib/ids";
import { nextRetryDelay } from "../pipeline/schedule";
import type { SendResult } from "../pipeline/send";

const iso = (ms: number) => new Date(ms).toISOString();

/** Still to be sent. */
export const isOpen = (d: Delivery) => d.status === "pending" || d.status === "retrying";
/** Not settled for good: open, held, or failed (an operator may recover it). */
export const UNSETTLED_STATUSES: readonly DeliveryStatus[] = ["pending", "retrying", "held", "failed"];
export const isUnsettled = (d: Delivery) => UNSETTLED_STATUSES.includes(d.status);
/** Counts as acknowledged for the superseded rule: acknowledged, or perhaps (an interrupted attempt). */
export const mayHaveBeenAcknowledged = (d: Delivery) => d.status === "succeeded" || d.maybe_delivered;

/** The delivery no longer waiting for flow control (every transition but a deferral ends a wait). */
function undeferred(d: Delivery): Delivery {
  if (d.deferred === undefined) return d;
  const { deferred: _, ...rest } = d;
  return rest;
}

export function afterAttempt(d: Delivery, sent: SendResult, random: () => number = Math.random): Delivery {
  const attempts = [...d.attempts, sent.attempt];
  const base = { ...undeferred(d), attempts, in_flight_since: null };
  if (sent.outcome === "succeeded") return { ...base, status: "succeeded", next_attempt_at: null };
  if (sent.outcome === "gone") return { ...base, status: "failed", next_attempt_at: null };
  const delay = nextRetryDelay(attempts.length - d.retry_base, sent.retryAfterSeconds, random);
  if (delay === null) return { ...base, status: "failed", next_attempt_at: null };
  return { ...base, status: "retrying", next_attempt_at: iso(Date.parse(sent.attempt.at) + delay * 1000) };
}

/**
 * An attempt was in flight when the object stopped: its answer is unknown. It is recorded as
 * interrupted and retried on the schedule, and the endpoint may have acknowledged it, so older
 * events of the case are superseded rather than sent after it.
 */
export function interrupted(d: Delivery, now: number): Delivery {
  const startedAt = d.in_flight_since ? Date.parse(d.in_flight_since) : now;
  const attempt: Attempt = {
    id: newId("att", startedAt),
    at: iso(startedAt),
    status_code: null,
    duration_ms: Math.max(0, now - startedAt),
    response_excerpt: null,
    error_kind: "interrupted",
    flagged: false,
  };
  return { ...afterAttempt(d, { attempt, outcome: "retry", retryAfterSeconds: null }), maybe_delivered: true };
}

export const superseded = (d: Delivery): Delivery => ({ ...undeferred(d), status: "superseded", next_attempt_at: null, in_flight_since: null });
export const held = (d: Delivery): Delivery => ({ ...undeferred(d), status: "held", next_attempt_at: null, in_flight_since: null });
/** The endpoint was deleted: nothing can be sent any more. */
export const abandoned = (d: Delivery): Delivery => ({ ...undeferred(d), status: "failed", next_attempt_at: null, in_flight_since: null });
export const markInFlight = (d: Delivery, now: number): Delivery => ({ ...d, in_flight_since: iso(now) });

/** The endpoint is active again: a held delivery is due now, where it left off. */
export function released(d: Delivery, now: number): Delivery {
  if (d.status !== "held") return d;
  return { ...d, status: d.attempts.length > d.retry_base ? "retrying" : "pending", next_attempt_at: iso(now) };
}

/** An operator's recover: a failed delivery starts a new retry cycle, due now. */
export function recovered(d: Delivery, now: number): Delivery {
  if (d.status !== "failed") return d;
  return { ...d, status: "retrying", retry_base: d.attempts.length, next_attempt_at: iso(now) };
}

/**
 * Throttled by the endpoint's flow control: wait until `at`, which is neither an attempt nor a
 * failure (the retry schedule does not move on). `reason` says why: its rate limit (then `at` is
 * the slot its limiter booked) or its cooldown.
 */
export const deferred = (d: Delivery, at: number, reason: DeferReason): Delivery => ({ ...d, next_attempt_at: iso(at), deferred: reason });

/** How the D1 index shows a delivery: only the ones that need an operator have a row. */
export function indexedStatus(d: Delivery): "retrying" | "failed" | "held" | null {
  if (d.status === "retrying" || d.status === "failed" || d.status === "held") return d.status;
  return null;
}
