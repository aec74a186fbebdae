/**
 * An endpoint that answers a throttle signal slows down on its own, whether or not it has a rate
 * limit: Standard Webhooks reads 429 as "rate limited" and 502 and 504 as "under load". Every case
 * object then defers its attempts to that endpoint (and only that endpoint) until the cooldown
 * ends, honouring Retry-After within bounds. Pure, unit-tested in test/flow/cooldown.test.ts.
 */
import type { SendResult } from "../pipeline/send";

export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 504]);
/** Without Retry-After: as long as the first retry of the schedule. */
export const COOLDOWN_DEFAULT_MS = 5_000;
/** Retry-After is honoured within these bounds: an endpoint cannot stop its own deliveries for long by asking. */
export const COOLDOWN_MIN_MS = 1_000;
export const COOLDOWN_MAX_MS = 600_000;
/** Deliveries held back by a cooldown come back over this long after its end, not all at once. */
export const COOLDOWN_SPREAD_MS = 1_000;

/** Until when the endpoint cools down after this attempt, or null if it did not ask to slow down. */
export function cooldownAfter(sent: SendResult): number | null {
  const status = sent.attempt.status_code;
  if (status === null || !THROTTLE_STATUSES.has(status)) return null;
  const answeredAt = Date.parse(sent.attempt.at) + sent.attempt.duration_ms;
  const asked = sent.retryAfterSeconds === null ? COOLDOWN_DEFAULT_MS : sent.retryAfterSeconds * 1000;
  return answeredAt + Math.min(Math.max(asked, COOLDOWN_MIN_MS), COOLDOWN_MAX_MS);
}

/** When a delivery held back until `until` tries again. */
export const afterCooldown = (until: number, random: () => number = Math.random) => until + Math.floor(random() * COOLDOWN_SPREAD_MS);
