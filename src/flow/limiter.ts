/**
 * The flow control of one endpoint, as its EndpointLimiter object (src/flow/object.ts) keeps it:
 * pure, on a clock given from outside, so tests drive it deterministically (test/flow/limiter.test.ts).
 *
 * per_second: a token bucket refilled per_second times a second. Callers are booked slots
 * 1/per_second apart; the bucket holds a tenth of a second's tokens (at least two), so a booked
 * caller that comes back somewhat late (an alarm is never early, sometimes late) is still granted
 * instead of pushing everyone after it back. On average grants never exceed per_second, and no
 * second sees more than per_second plus the bucket's size.
 *
 * max_in_flight: a grant takes a lease, released after the attempt, or by itself after
 * LEASE_TIMEOUT_MS (a case object that stopped mid-attempt cannot hold a slot for ever).
 *
 * A caller that must wait is booked a slot and told to come back then: a thousand case objects
 * waiting on one endpoint each ask about twice, not once per tick, and come back in the order
 * they asked. A booked caller that comes back late waits only for the spacing, not at the end.
 * Bookings nobody claims lapse after BOOKING_GRACE_MS.
 *
 * The state lives in memory: a restarted object starts with no bookings and no leases (callers
 * holding a booking are booked again; at worst max_in_flight is exceeded for one lease timeout).
 */
import type { RateLimit } from "../domain";

/** Twice an attempt's timeout (src/pipeline/send.ts SEND_TIMEOUT_MS). */
export const LEASE_TIMEOUT_MS = 30_000;
/** How long past its time a booked slot is kept for the caller it was booked for. */
export const BOOKING_GRACE_MS = 30_000;
/** Bookings kept at most; past that a caller is still told when to come back, only not booked. */
const MAX_BOOKINGS = 100_000;
/** Grant times kept for snapshot(). */
const RECENT_GRANTS = 2_000;
/** The attempt duration assumed before any lease was released. */
const INITIAL_LEASE_MS = 250;
/** The bucket holds a tenth of a second's tokens, and at least two: a booked caller may come back that late and still be granted. */
const BURST_WINDOW_MS = 100;

export type AcquireInput = {
  limit: RateLimit;
  /** The slot this caller was booked (the `retryAt` it was told), or null. */
  reservedAt: number | null;
};

export type Grant = { granted: true; at: number; leaseId: string | null } | { granted: false; retryAt: number };

export type LimiterSnapshot = {
  bookings: number;
  leases: number;
  /** The average attempt duration lately, used to pace callers waiting for a lease. */
  leaseMs: number;
  /** When the last grants were made, oldest first. */
  recentGrants: number[];
};

export class LimiterState {
  /** The earliest time an unbooked caller may be granted: the end of the booked schedule. */
  private tat = Number.NEGATIVE_INFINITY;
  /** When the bucket's next token is due (GCRA's theoretical arrival time of grants). */
  private nextToken = Number.NEGATIVE_INFINITY;
  /** Booked slot → kept until. */
  private readonly bookings = new Map<number, number>();
  private readonly leases = new Map<string, { at: number; expiresAt: number }>();
  private leaseMs = INITIAL_LEASE_MS;
  private readonly grants: number[] = [];
  private leaseCounter = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;

  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  acquire({ limit, reservedAt }: AcquireInput): Grant {
    const now = this.clock();
    this.expire(now);
    const rate = limit.per_second;
    const spacing = rate ? 1000 / rate : 0;
    // How late a booked caller may come back and still be granted (the bucket's extra tokens).
    const tolerance = rate ? (Math.max(2, Math.floor((rate * BURST_WINDOW_MS) / 1000)) - 1) * spacing : 0;
    const conforming = now >= this.nextToken - tolerance;
    const full = limit.max_in_flight !== undefined && this.leases.size >= limit.max_in_flight;
    // Callers waiting for a lease are paced at the rate leases have been freed lately.
    const pace = full ? Math.max(spacing, this.leaseMs / limit.max_in_flight!) : spacing;

    if (reservedAt !== null && this.bookings.has(reservedAt)) {
      this.bookings.delete(reservedAt);
      if (!full && conforming) return this.grant(now, limit, spacing);
      // Every lease is held: back in the queue, at the pace leases free up. Too late for the
      // bucket: as soon as it has a token, ahead of those booked after it.
      return { granted: false, retryAt: this.bookAfter(full ? Math.max(this.tat, now + pace) : this.nextToken - tolerance, pace) };
    }
    if (!full && conforming && this.tat <= now) {
      this.tat = now + spacing;
      return this.grant(now, limit, spacing);
    }
    return { granted: false, retryAt: this.bookAfter(Math.max(this.tat, full ? now + pace : now), pace) };
  }

  release(leaseId: string): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    this.leases.delete(leaseId);
    this.leaseMs = 0.8 * this.leaseMs + 0.2 * Math.max(1, this.clock() - lease.at);
  }

  snapshot(): LimiterSnapshot {
    this.expire(this.clock());
    return { bookings: this.bookings.size, leases: this.leases.size, leaseMs: Math.round(this.leaseMs), recentGrants: [...this.grants] };
  }

  private grant(now: number, limit: RateLimit, spacing: number): Grant {
    this.nextToken = Math.max(this.nextToken, now) + spacing;
    this.grants.push(now);
    if (this.grants.length > RECENT_GRANTS) this.grants.shift();
    let leaseId: string | null = null;
    if (limit.max_in_flight !== undefined) {
      leaseId = `lease-${++this.leaseCounter}`;
      this.leases.set(leaseId, { at: now, expiresAt: now + LEASE_TIMEOUT_MS });
    }
    return { granted: true, at: now, leaseId };
  }

  /** Books the first free whole millisecond at or after `at` (a slot names one caller); unbooked callers queue `pace` after it. */
  private bookAfter(at: number, pace: number): number {
    let slot = Math.ceil(at);
    while (this.bookings.has(slot)) slot++;
    if (this.bookings.size < MAX_BOOKINGS) this.bookings.set(slot, slot + BOOKING_GRACE_MS);
    this.tat = Math.max(this.tat, slot + Math.max(pace, 1));
    return slot;
  }

  private expire(now: number): void {
    for (const [id, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(id);
    // A lapsed booking is harmless until swept (only its own caller names it): sweep once a second.
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [slot, keptUntil] of this.bookings) if (keptUntil < now) this.bookings.delete(slot);
  }
}
