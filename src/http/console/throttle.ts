/**
 * Login throttle for the console: at most LOGIN_FAILURE_LIMIT failed logins per client in a fixed
 * window of LOGIN_WINDOW_MS, counted in D1 (console_login_failures), then 429 with Retry-After
 * until the window ends. An attempt is counted before the token is compared, so guesses sent in
 * parallel are counted too; a correct token clears the count.
 */
import { eq, lt, sql } from "drizzle-orm";
import type { Context } from "hono";
import type { Db } from "../../db/client";
import { consoleLoginFailures } from "../../db/schema";
import type { ConsoleEnv } from "./session";

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_WINDOW_MS = 15 * 60_000;

/** The first four groups of a full IPv6 address: one subscriber usually holds a whole /64. */
function ipv6Prefix64(ip: string): string | null {
  // IPv4, or an IPv6 form embedding one: counted by the whole address.
  if (!ip.includes(":") || ip.includes(".")) return null;
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") && tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return groups.length === 8
    ? `${groups
        .slice(0, 4)
        .map((g) => g.replace(/^0+(?=.)/, ""))
        .join(":")}::/64`
    : null;
}

/**
 * Who a login attempt counts against: Cloudflare's cf-connecting-ip (set on every request it
 * proxies, and not forgeable through it). Without one (local development) all share one count.
 */
export function loginClient(c: Context<ConsoleEnv>): string {
  const ip = (c.req.header("cf-connecting-ip") ?? "").trim().slice(0, 64);
  if (!ip) return "unknown";
  return ipv6Prefix64(ip) ?? ip;
}

export type Attempt = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts one login attempt for `client` and says whether it may be checked. One D1 batch. */
export async function takeLoginAttempt(db: Db, client: string, now = Date.now()): Promise<Attempt> {
  const t = consoleLoginFailures;
  const expired = sql`${t.windowStartedAt} <= ${now - LOGIN_WINDOW_MS}`;
  const [[row]] = await db.batch([
    db
      .insert(t)
      .values({ client, windowStartedAt: now, failures: 1 })
      .onConflictDoUpdate({
        target: t.client,
        // Both read the row as it was: a window that has ended starts again at this attempt.
        set: {
          failures: sql`CASE WHEN ${expired} THEN 1 ELSE ${t.failures} + 1 END`,
          windowStartedAt: sql`CASE WHEN ${expired} THEN ${now} ELSE ${t.windowStartedAt} END`,
        },
      })
      .returning(),
    db.delete(t).where(lt(t.windowStartedAt, now - LOGIN_WINDOW_MS)),
  ]);
  if (!row || row.failures <= LOGIN_FAILURE_LIMIT) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((row.windowStartedAt + LOGIN_WINDOW_MS - now) / 1000)) };
}

/** A correct token: the client starts again from zero. */
export async function clearLoginFailures(db: Db, client: string): Promise<void> {
  await db.delete(consoleLoginFailures).where(eq(consoleLoginFailures.client, client));
}
