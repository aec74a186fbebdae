/**
 * The flow control of one endpoint, as its EndpointLimiter object (src/flow/object.ts) keeps it:
 * pure, on a clock given from outside, so tests drive it deterministically (test/flow/limiter.test.ts).
 *
 * per_second: a token every 1/per_second. A caller that must wait is booked the next token not
 * yet set aside, and told to come back at its time: coming back then (an alarm is never early,
 * sometimes late: up to LATE_TOLERANCE_MS, or one spacing, is fine) it is granted without taking
 * anyone else's token, so nobody is pushed back and each waiting caller asks twice. Grants thus
 * never exceed per_second on average; and however late callers bunch, no second sees more than
 * per_second plus a tenth (at least one more): past that a caller is booked again.
 *
 * max_in_flight: a grant takes a lease, released after the attempt, or by itself after
 * LEASE_TIMEOUT_MS (a case object that stopped mid-attempt cannot hold a slot for ever).
 *
 * A thousand case objects waiting on one endpoint thus each ask about twice, not once per tick,
 * and come back in the order they asked. A caller later than the tolerance, or one that finds
 * every lease held, is booked again at the end. Bookings nobody claims lapse after
 * BOOKING_GRACE_MS (their tokens are simply not used).
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
/** How late past its slot a booked caller may come back and still use its token (at least one spacing). */
export const LATE_TOLERANCE_MS = 500;

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
  /** When the next token not yet set aside for a booked caller is due: the end of the schedule. */
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
    const spacing = limit.per_second ? 1000 / limit.per_second : 0;
    const full = limit.max_in_flight !== undefined && this.leases.size >= limit.max_in_flight;
    // Callers waiting for a lease are paced at the rate leases have been freed lately.
    const pace = full ? Math.max(spacing, this.leaseMs / limit.max_in_flight!) : spacing;
    // When the last second has room for one more grant (now, unless late callers filled it).
    const roomAt = this.roomAt(now, limit);

    if (reservedAt !== null && this.bookings.has(reservedAt)) {
      this.bookings.delete(reservedAt);
      // Its token was set aside when it was booked: back in time, it is granted, unless late
      // callers bunched so much that this second is already full.
      if (!full && now <= reservedAt + Math.max(spacing, LATE_TOLERANCE_MS) && roomAt <= now) return this.grant(now, limit);
      // Every lease is held, or its token lapsed: booked again, at the end.
    } else if (!full && this.nextToken <= now && roomAt <= now) {
      this.nextToken = now + spacing;
      return this.grant(now, limit);
    }
    // Booked no earlier than the second has room again.
    const slot = this.book(Math.max(this.nextToken, full ? now + pace : now, roomAt));
    this.nextToken = slot + Math.max(pace, 1);
    return { granted: false, retryAt: slot };
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

  /**
   * When the last second next holds fewer grants than per_second plus a tenth (at least one more):
   * `now` if it does already, else when the oldest grant that fills it leaves the window.
   */
  private roomAt(now: number, limit: RateLimit): number {
    if (!limit.per_second) return now;
    const cap = Math.ceil(limit.per_second) + Math.max(1, Math.ceil(limit.per_second / 10));
    let inWindow = 0;
    for (let i = this.grants.length - 1; i >= 0 && this.grants[i]! > now - 1000; i--) if (++inWindow >= cap) return this.grants[i]! + 1000;
    return now;
  }

  private grant(now: number, limit: RateLimit): Grant {
    this.grants.push(now);
    if (this.grants.length > RECENT_GRANTS) this.grants.shift();
    let leaseId: string | null = null;
    if (limit.max_in_flight !== undefined) {
      leaseId = `lease-${++this.leaseCounter}`;
      this.leases.set(leaseId, { at: now, expiresAt: now + LEASE_TIMEOUT_MS });
    }
    return { granted: true, at: now, leaseId };
  }

  /** Books the first free whole millisecond at or after `at` (a slot names one caller). */
  private book(at: number): number {
    let slot = Math.ceil(at);
    while (this.bookings.has(slot)) slot++;
    if (this.bookings.size < MAX_BOOKINGS) this.bookings.set(slot, slot + BOOKING_GRACE_MS);
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
