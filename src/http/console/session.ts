/**
 * Console sessions: the cookie holds `<expiry>.<session id>.<HMAC>`, never the admin token, and the
 * session must also be live in D1 (console_sessions), so logout ends it on the server. The HMAC key
 * is derived from ADMIN_TOKEN and ENCRYPTION_KEY, and rows are found by an HMAC of the id under
 * that key: rotating either secret ends every session, cookies and rows alike. Each session has
 * its own CSRF token, an HMAC of its id, checked on every POST.
 */
import type { Context } from "hono";
import { and, eq, isNull, lt } from "drizzle-orm";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Db } from "../../db/client";
import { consoleSessions } from "../../db/schema";
import type { Config } from "../../lib/config";
import { base64ToBytes, bytesToBase64Url, randomToken, sha256, timingSafeEqualStrings } from "../../lib/crypto";
import type { HonoEnv } from "../context";

/** The app's own env: the console shares its middleware (config, db, request id) and principal. */
export type ConsoleEnv = HonoEnv;

export const SESSION_COOKIE = "caserelay_console";
export const SESSION_TTL_MS = 8 * 3600_000;
/** The cookie is only sent to the console, never to /v1 or /in. */
const COOKIE_PATH = "/console";

const encoder = new TextEncoder();
const keys = new WeakMap<Config, Promise<CryptoKey>>();

function sessionKey(config: Config): Promise<CryptoKey> {
  let key = keys.get(config);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", base64ToBytes(config.encryptionKey), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: await sha256(config.adminToken), info: encoder.encode("caserelay console session v1") },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    })();
    keys.set(config, key);
  }
  return key;
}

async function sign(config: Config, data: string): Promise<string> {
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", await sessionKey(config), encoder.encode(data))));
}

function base64UrlToBytes(s: string): Uint8Array {
  return base64ToBytes(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
}

async function mint(config: Config, now: number): Promise<{ id: string; expiresAt: number; value: string }> {
  const id = randomToken(24);
  const expiresAt = now + SESSION_TTL_MS;
  const payload = `${expiresAt}.${id}`;
  return { id, expiresAt, value: `${payload}.${await sign(config, `session.${payload}`)}` };
}

/** A signed cookie value only, with no row: no console request accepts it (see startSession). */
export async function newSessionValue(config: Config, now = Date.now()): Promise<string> {
  return (await mint(config, now)).value;
}

/** The session id of a genuine, unexpired cookie value; null for anything else. */
export async function verifySessionValue(config: Config, value: string | undefined, now = Date.now()): Promise<string | null> {
  const m = /^(\d{13})\.([\w-]{32})\.([\w-]{43})$/.exec(value ?? "");
  if (!m) return null;
  const [, expiry, id, mac] = m as unknown as [string, string, string, string];
  // subtle.verify compares in constant time.
  const genuine = await crypto.subtle.verify("HMAC", await sessionKey(config), base64UrlToBytes(mac), encoder.encode(`session.${expiry}.${id}`));
  const expires = Number(expiry);
  return genuine && expires > now && expires <= now + SESSION_TTL_MS ? id : null;
}

/** How a session's row is found: keyed, so a rotated secret finds none of the old rows. */
const rowKey = (config: Config, sessionId: string) => sign(config, `row.${sessionId}`);

/** A new session: its cookie value, and its row in D1 (expired rows are pruned on the way). */
export async function startSession(db: Db, config: Config, now = Date.now()): Promise<string> {
  const { id, expiresAt, value } = await mint(config, now);
  await db.batch([
    db.insert(consoleSessions).values({ idHash: await rowKey(config, id), createdAt: now, expiresAt }),
    db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now)),
  ]);
  return value;
}

/** The session id of a genuine cookie value whose session is live in D1 (not logged out, not expired); else null. */
export async function liveSession(db: Db, config: Config, value: string | undefined, now = Date.now()): Promise<string | null> {
  const id = await verifySessionValue(config, value, now);
  if (!id) return null;
  const row = await db
    .select()
    .from(consoleSessions)
    .where(eq(consoleSessions.idHash, await rowKey(config, id)))
    .get();
  return row && row.revokedAt === null && row.expiresAt > now ? id : null;
}

/** Ends a session on the server: its cookie is refused from now on, wherever it was copied to. */
export async function revokeSession(db: Db, config: Config, sessionId: string, now = Date.now()): Promise<void> {
  await db
    .update(consoleSessions)
    .set({ revokedAt: now })
    .where(and(eq(consoleSessions.idHash, await rowKey(config, sessionId)), isNull(consoleSessions.revokedAt)));
}

export function csrfToken(config: Config, sessionId: string): Promise<string> {
  return sign(config, `csrf.${sessionId}`);
}

export async function csrfMatches(config: Config, sessionId: string, submitted: unknown): Promise<boolean> {
  return typeof submitted === "string" && timingSafeEqualStrings(submitted, await csrfToken(config, sessionId));
}

export function readSessionCookie(c: Context<ConsoleEnv>): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** Secure whenever the request came over https; plain http stays usable for localhost development. */
export function setSessionCookie(c: Context<ConsoleEnv>, value: string): void {
  setCookie(c, SESSION_COOKIE, value, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: SESSION_TTL_MS / 1000,
  });
}

export function clearSessionCookie(c: Context<ConsoleEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: new URL(c.req.url).protocol === "https:" });
}
