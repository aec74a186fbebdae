/** The console's login throttle and its server-side sessions (issue #14, item 8). */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { newSessionValue, SESSION_COOKIE } from "../../src/http/console/session";
import { LOGIN_FAILURE_LIMIT, LOGIN_WINDOW_MS } from "../../src/http/console/throttle";
import { getConfig } from "../../src/lib/config";
import { ADMIN_TOKEN, BASE } from "../helpers/api";

type Page = { status: number; headers: Headers; text: string; location: string | null };

/** A browser-like request to the console from one client address; no redirects followed. */
async function visit(path: string, opts: { ip?: string; cookie?: string; form?: Record<string, string>; env?: Env } = {}): Promise<Page> {
  const headers: Record<string, string> = {};
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  if (opts.cookie) headers.cookie = `${SESSION_COOKIE}=${opts.cookie}`;
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  }
  const req = new Request(`${BASE}${path}`, { method: opts.form ? "POST" : "GET", headers, body, redirect: "manual" });
  const res = opts.env
    ? await worker.fetch!(req as Request<unknown, IncomingRequestCfProperties>, opts.env, createExecutionContext())
    : await exports.default.fetch(req);
  return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get("location") };
}

let clients = 0;
/** A client address of its own for each test: counts never leak between tests. */
const newClient = () => `198.51.100.${++clients}`;

const login = (ip: string, token: string) => visit("/console/login", { ip, form: { token } });

function cookieOf(res: Page): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  expect(cookie, "a session cookie").toBeDefined();
  return cookie!.slice(SESSION_COOKIE.length + 1).split(";")[0]!;
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

describe("console login throttle", () => {
  it(`answers 429 with Retry-After after ${LOGIN_FAILURE_LIMIT} failed logins from one client, the right token included, until the window ends`, async () => {
    const ip = newClient();
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) expect((await login(ip, `wrong-token-${i}`)).status).toBe(401);
    for (const token of ["wrong-again", ADMIN_TOKEN]) {
      const res = await login(ip, token);
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(LOGIN_WINDOW_MS / 1000 - 60);
      expect(retryAfter).toBeLessThanOrEqual(LOGIN_WINDOW_MS / 1000);
      expect(res.text).toContain("Too many failed logins from your address: try again in 15 minutes.");
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // Another client is not held back.
    expect((await login(newClient(), ADMIN_TOKEN)).status).toBe(303);
    // Once the window is over, the client may try again.
    await env.DB.prepare("UPDATE console_login_failures SET window_started_at = window_started_at - ? WHERE client = ?").bind(LOGIN_WINDOW_MS, ip).run();
    expect((await login(ip, "wrong-after-the-window")).status).toBe(401);
    expect((await login(ip, ADMIN_TOKEN)).status).toBe(303);
  });

  it("counts guesses sent all at once", async () => {
    const ip = newClient();
    const statuses = (await Promise.all(Array.from({ length: 2 * LOGIN_FAILURE_LIMIT }, (_, i) => login(ip, `parallel-guess-${i}`)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_FAILURE_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(LOGIN_FAILURE_LIMIT);
  });

  it("starts a client again from zero after a correct login", async () => {
    const ip = newClient();
    for (let i = 0; i < LOGIN_FAILURE_LIMIT - 1; i++) expect((await login(ip, "typo")).status).toBe(401);
    expect((await login(ip, ADMIN_TOKEN)).status).toBe(303);
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) expect((await login(ip, "typo")).status).toBe(401);
    expect((await login(ip, "typo")).status).toBe(429);
  });

  it("counts an IPv6 client by its /64", async () => {
    const prefix = `2001:db8:${(++clients).toString(16)}:7`;
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) expect((await login(`${prefix}::${(i + 1).toString(16)}`, "wrong")).status).toBe(401);
    expect((await login(`${prefix}:0:0:0:ffff`, "wrong")).status).toBe(429);
    expect((await login(`2001:db8:${clients.toString(16)}:8::1`, "wrong")).status).toBe(401);
  });
});

describe("console sessions end on the server", () => {
  it("logout revokes the session: a copy of the cookie no longer works", async () => {
    const cookie = cookieOf(await login(newClient(), ADMIN_TOKEN));
    const page = await visit("/console", { cookie });
    expect(page.status).toBe(200);
    const out = await visit("/console/logout", { cookie, form: { csrf: csrfOf(page.text) } });
    expect(out.location).toBe("/console/login?done=logged-out");
    // The browser dropped it; a copy taken before logout is refused, for pages and forms alike.
    const again = await visit("/console", { cookie });
    expect(again.status).toBe(303);
    expect(again.location).toBe("/console/login?next=%2Fconsole");
    expect((await visit("/console/logout", { cookie, form: { csrf: csrfOf(page.text) } })).status).toBe(401);
    expect((await visit("/console/login", { cookie })).status).toBe(200); // the login form, not a redirect into the console
    const revoked = await env.DB.prepare("SELECT count(*) AS n FROM console_sessions WHERE revoked_at IS NOT NULL").first<{ n: number }>();
    expect(revoked!.n).toBeGreaterThan(0);
  });

  it("refuses a correctly signed cookie whose session is not in D1", async () => {
    const cookie = await newSessionValue(getConfig(env));
    expect((await visit("/console", { cookie })).status).toBe(303);
  });

  it("ends every session when ADMIN_TOKEN is rotated", async () => {
    const cookie = cookieOf(await login(newClient(), ADMIN_TOKEN));
    expect((await visit("/console", { cookie })).status).toBe(200);
    const rotated = new Proxy(env, { get: (t, p) => (p === "ADMIN_TOKEN" ? "rotated-admin-token-0123456789" : Reflect.get(t, p)) });
    const res = await visit("/console", { cookie, env: rotated });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/console/login?next=%2Fconsole");
  });
});
