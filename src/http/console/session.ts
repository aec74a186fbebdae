/**
 * Console sessions without server state: the cookie holds `<expiry>.<session id>.<HMAC>`, never the
 * admin token. The HMAC key is derived from ADMIN_TOKEN and ENCRYPTION_KEY, so rotating either
 * ends every session. Each session has its own CSRF token, an HMAC of its id, checked on every POST.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
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

export async function newSessionValue(config: Config, now = Date.now()): Promise<string> {
  const payload = `${now + SESSION_TTL_MS}.${randomToken(24)}`;
  return `${payload}.${await sign(config, `session.${payload}`)}`;
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
