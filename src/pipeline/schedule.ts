/** The delivery retry schedule (9 retries over about 3 days) and the inbox's own backoff. */

/** Delays after the first try, in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;
export const JITTER = 0.2;
/** An endpoint failing without a single success for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86400 * 1000;

/** Seconds to wait, honouring Retry-After within [scheduled, 2 × scheduled]; null once attempts are exhausted. */
export function nextRetryDelay(attemptsMade: number, retryAfterSeconds: number | null, random: () => number = Math.random): number | null {
  const scheduled = RETRY_SCHEDULE_SECONDS[attemptsMade - 1];
  if (scheduled === undefined) return null;
  if (retryAfterSeconds !== null) return Math.round(Math.min(Math.max(retryAfterSeconds, scheduled), 2 * scheduled));
  return Math.max(1, Math.round(scheduled * (1 - JITTER + 2 * JITTER * random())));
}

/** Retry-After as seconds from now (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.round((at - now) / 1000));
}

/** Inbox processing backoff (provider API down, D1 busy): 10 s doubling to 30 min. */
export function inboxRetryDelay(attempts: number): number {
  return Math.min(10 * 2 ** Math.max(0, attempts - 1), 1800);
}
