/**
 * The endpoint limiter's state (src/flow/limiter.ts) on a simulated clock: case objects are
 * simulated as callers that ask, come back when told (a little late, as alarms are), and send
 * their case's deliveries in order. Grant times are what is measured, so nothing depends on how
 * fast the machine runs. Seeded randomness prints its seed.
 */
import { describe, expect, it } from "vitest";
import type { RateLimit } from "../../src/domain";
import { BOOKING_GRACE_MS, LATE_TOLERANCE_MS, LEASE_TIMEOUT_MS, LimiterState } from "../../src/flow/limiter";

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Grant = { at: number; caseIndex: number; delivery: number };

/**
 * `cases` case objects each with `perCase` deliveries to one endpoint, all due at 0 (a burst: a
 * reconcile run, a recover). Each asks for its first delivery; when refused it comes back at the
 * slot it was given plus up to `maxLateMs`; when granted, the attempt takes `attemptMs` (released
 * then) and it asks for its next delivery. Returns every grant and how many asks it took.
 */
function simulate(opts: { limit: RateLimit; cases: number; perCase: number; seed: number; maxLateMs?: number; attemptMs?: () => number }) {
  const random = seeded(opts.seed);
  let now = 0;
  const limiter = new LimiterState(() => now);
  type Ask = { at: number; caseIndex: number; delivery: number; reservedAt: number | null };
  const queue: Ask[] = [];
  const releases: { at: number; leaseId: string }[] = [];
  for (let c = 0; c < opts.cases; c++) queue.push({ at: 0, caseIndex: c, delivery: 0, reservedAt: null });
  const grants: Grant[] = [];
  let asks = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  while (queue.length || releases.length) {
    queue.sort((a, b) => a.at - b.at);
    releases.sort((a, b) => a.at - b.at);
    // Releases due first: an attempt's answer arrives before the next ask at the same time.
    if (releases.length && (!queue.length || releases[0]!.at <= queue[0]!.at)) {
      const r = releases.shift()!;
      now = r.at;
      limiter.release(r.leaseId);
      inFlight--;
      continue;
    }
    const ask = queue.shift()!;
    now = ask.at;
    asks++;
    const g = limiter.acquire({ limit: opts.limit, reservedAt: ask.reservedAt });
    if (!g.granted) {
      expect(g.retryAt, "told to come back later, never earlier").toBeGreaterThanOrEqual(now);
      queue.push({ ...ask, at: g.retryAt + random() * (opts.maxLateMs ?? 0), reservedAt: g.retryAt });
      continue;
    }
    grants.push({ at: now, caseIndex: ask.caseIndex, delivery: ask.delivery });
    const took = opts.attemptMs?.() ?? 20;
    if (g.leaseId) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      releases.push({ at: now + took, leaseId: g.leaseId });
    }
    if (ask.delivery + 1 < opts.perCase) queue.push({ at: now + took, caseIndex: ask.caseIndex, delivery: ask.delivery + 1, reservedAt: null });
  }
  return { grants, asks, maxInFlight };
}

/** The most grants in any window of `ms` (sliding, half-open). */
function busiestWindow(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe("endpoint limiter", () => {
  it("holds 10 events/s within 10 % over a burst of 1,000 spread over 200 cases, each case in order", () => {
    const seed = Date.now() % 1_000_000;
    console.log(`limiter burst seed ${seed}`);
    const { grants, asks } = simulate({ limit: { per_second: 10 }, cases: 200, perCase: 5, seed, maxLateMs: 40 });
    expect(grants).toHaveLength(1000);
    const times = grants.map((g) => g.at);
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    const rate = (grants.length - 1) / span;
    // Never faster than the limit, and not much slower (callers come back up to 40 ms late).
    expect(rate, `seed ${seed}`).toBeLessThanOrEqual(10);
    expect(rate, `seed ${seed}`).toBeGreaterThanOrEqual(9);
    // No second sees more than the limit (plus the first grant of the next tenth of a second).
    expect(busiestWindow(times, 1000), `seed ${seed}`).toBeLessThanOrEqual(11);
    // Each case's deliveries in its order.
    for (let c = 0; c < 200; c++) expect(grants.filter((g) => g.caseIndex === c).map((g) => g.delivery)).toEqual([0, 1, 2, 3, 4]);
    // Waiting callers are booked, not polling: about two asks per grant.
    expect(asks).toBeLessThanOrEqual(2.5 * grants.length);
  });

  it("holds the limit, and nearly all its throughput, when callers come back up to 400 ms late", () => {
    // 873233 once granted a twelfth token in one second: a caller with no booking took the next
    // token while late booked callers had already filled the second.
    const random = (Date.now() >> 5) % 1_000_000;
    console.log(`limiter late seed ${random}`);
    for (const seed of [random, 873233]) {
      lateCallers(seed);
    }
  });

  function lateCallers(seed: number) {
    const { grants, asks } = simulate({ limit: { per_second: 10 }, cases: 200, perCase: 5, seed, maxLateMs: 400 });
    const times = grants.map((g) => g.at);
    const rate = (grants.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000);
    expect(rate, `seed ${seed}`).toBeLessThanOrEqual(10);
    expect(rate, `seed ${seed}`).toBeGreaterThanOrEqual(9);
    // However late callers bunch, a second holds at most the limit and a tenth (at least one) more.
    expect(busiestWindow(times, 1000), `seed ${seed}`).toBeLessThanOrEqual(11);
    expect(asks, `seed ${seed}`).toBeLessThanOrEqual(2.5 * grants.length);
    for (let c = 0; c < 200; c++) expect(grants.filter((g) => g.caseIndex === c).map((g) => g.delivery)).toEqual([0, 1, 2, 3, 4]);
  }

  it("holds a fractional rate (one every 2 s) and a high one (500/s) the same way", () => {
    for (const per_second of [0.5, 500]) {
      const { grants } = simulate({ limit: { per_second }, cases: 50, perCase: 4, seed: 7, maxLateMs: 5 });
      const times = grants.map((g) => g.at);
      expect(busiestWindow(times, 1000), `${per_second}/s`).toBeLessThanOrEqual(Math.ceil(per_second) + Math.max(1, Math.ceil(per_second / 10)));
      const rate = (grants.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
      expect(rate, `${per_second}/s`).toBeLessThanOrEqual(per_second);
      expect(rate, `${per_second}/s`).toBeGreaterThanOrEqual(per_second * 0.9);
    }
  });

  it("never has more than max_in_flight attempts awaiting an answer, and paces those waiting", () => {
    const seed = (Date.now() >> 3) % 1_000_000;
    console.log(`limiter in-flight seed ${seed}`);
    const random = seeded(seed + 1);
    const { grants, maxInFlight, asks } = simulate({
      limit: { max_in_flight: 4 },
      cases: 100,
      perCase: 3,
      seed,
      maxLateMs: 10,
      attemptMs: () => 50 + random() * 400,
    });
    expect(grants).toHaveLength(300);
    expect(maxInFlight, `seed ${seed}`).toBe(4);
    expect(asks, `seed ${seed}`).toBeLessThanOrEqual(6 * grants.length);
  });

  it("combines both limits", () => {
    const { grants, maxInFlight } = simulate({
      limit: { per_second: 20, max_in_flight: 2 },
      cases: 30,
      perCase: 2,
      seed: 11,
      maxLateMs: 10,
      attemptMs: () => 200,
    });
    expect(grants).toHaveLength(60);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    const times = grants.map((g) => g.at);
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(21);
    expect((grants.length - 1) / ((times.at(-1)! - times[0]!) / 1000)).toBeLessThanOrEqual(20);
  });

  it("frees a lease its holder never released after the lease timeout", () => {
    let now = 0;
    const limiter = new LimiterState(() => now);
    const limit = { max_in_flight: 1 };
    const first = limiter.acquire({ limit, reservedAt: null });
    expect(first).toMatchObject({ granted: true, leaseId: expect.any(String) });
    now = 1_000;
    expect(limiter.acquire({ limit, reservedAt: null }).granted).toBe(false);
    // The holder stopped mid-attempt and never released: after the timeout the slot is free again.
    now = LEASE_TIMEOUT_MS + 1;
    expect(limiter.acquire({ limit, reservedAt: null }).granted).toBe(true);
    expect(limiter.snapshot().leases).toBe(1);
    // A release of a lease that timed out, or twice, changes nothing.
    if (first.granted) limiter.release(first.leaseId!);
    expect(limiter.snapshot().leases).toBe(1);
  });

  it("keeps a booked caller's token for it if it comes back somewhat late, books a much later one again, and lets an unclaimed booking lapse", () => {
    let now = 0;
    const limiter = new LimiterState(() => now);
    const limit = { per_second: 10 };
    const ask = (reservedAt: number | null = null) => limiter.acquire({ limit, reservedAt });
    expect(ask().granted).toBe(true);
    expect(ask()).toEqual({ granted: false, retryAt: 100 });
    expect(ask()).toEqual({ granted: false, retryAt: 200 });
    // The first comes back 80 ms late, the second on time: each has its own token.
    now = 180;
    expect(ask(100).granted).toBe(true);
    now = 200;
    expect(ask(200).granted).toBe(true);
    // Newcomers queue behind the schedule.
    expect(ask()).toEqual({ granted: false, retryAt: 300 });
    expect(ask()).toEqual({ granted: false, retryAt: 400 });
    // The one at 400 comes back on time; the one at 300 later than the tolerance: its token lapsed,
    // it is booked again at the end, and nobody waited for it.
    now = 400;
    expect(ask(400).granted).toBe(true);
    expect(ask()).toEqual({ granted: false, retryAt: 500 });
    now = 300 + LATE_TOLERANCE_MS + 1;
    expect(ask(300)).toEqual({ granted: false, retryAt: 801 });
    now = 801;
    expect(ask(801).granted).toBe(true);
    // A booking nobody claims (the one at 500) lapses; an unknown reservation is an ordinary ask.
    now = 801 + BOOKING_GRACE_MS + 1_001;
    expect(ask(12_345).granted).toBe(true);
    expect(limiter.snapshot().bookings).toBe(0);
  });
});
