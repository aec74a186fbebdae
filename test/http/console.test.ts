/** The operator console: login and sessions, CSRF, escaping of provider data, and its actions. */
import { env, exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { createDb } from "../../src/db/client";
import { SESSION_COOKIE, SESSION_TTL_MS, startSession } from "../../src/http/console/session";
import { getConfig } from "../../src/lib/config";
import { endpointActivity, sourceActivity } from "../../src/services/activity";
import { ADMIN_TOKEN, api, BASE } from "../helpers/api";
import { indexBindingOf } from "../helpers/index-dbs";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

type Page = { status: number; headers: Headers; text: string; location: string | null };

/** A browser-like request to the console: cookie, form body, no redirects followed. */
async function visit(
  path: string,
  opts: { method?: string; cookie?: string | null; form?: Record<string, string>; headers?: Record<string, string>; base?: string } = {},
): Promise<Page> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.cookie = `${SESSION_COOKIE}=${opts.cookie}`;
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  }
  const res = await exports.default.fetch(`${opts.base ?? BASE}${path}`, {
    method: opts.method ?? (opts.form ? "POST" : "GET"),
    headers,
    body,
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get("location") };
}

function sessionFrom(res: Page): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  expect(cookie, "a session cookie").toBeDefined();
  return cookie!.slice(SESSION_COOKIE.length + 1).split(";")[0]!;
}

async function logIn(): Promise<{ cookie: string; csrf: string }> {
  const cookie = sessionFrom(await visit("/console/login", { form: { token: ADMIN_TOKEN } }));
  const page = await visit("/console", { cookie });
  expect(page.status).toBe(200);
  return { cookie, csrf: csrfOf(page.text) };
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

/** What must never appear unescaped in a page. */
const XSS_SCRIPT = "<script>alert(1)</script>";
const XSS_IMG = '"><img src=x onerror=alert(1)>';

function expectInert(html: string) {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toContain("<img");
  // The handler's name shows only as text inside the escaped tag, or URL-encoded in a link.
  expect(html.replaceAll("&lt;img src=x onerror=alert(1)&gt;", "").replaceAll("%3Cimg+src%3Dx+onerror%3Dalert%281%29%3E", "")).not.toContain("onerror");
}

const CONSOLE_PATHS = () =>
  createApp()
    .routes.filter((r) => r.path.startsWith("/console") && r.method !== "ALL")
    .map((r) => ({ method: r.method, path: r.path.replace(/:id/, "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") }));

describe("console login and sessions", () => {
  it("serves the login form with a strict policy and no script", async () => {
    const res = await visit("/console/login");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!doctype html>/);
    expect(res.text).toContain('name="token"');
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("script-src");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.text).not.toMatch(/<script/i);
    const css = await visit("/console/assets/console.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
  });

  it("refuses a wrong token without setting a cookie", async () => {
    for (const token of ["wrong-token-0123456789", "", `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1)]) {
      const res = await visit("/console/login", { form: { token } });
      expect(res.status).toBe(401);
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(res.text).toContain("not the admin token");
    }
    // A customer's API key is no console login either.
    const customer = await createCustomer();
    expect((await visit("/console/login", { form: { token: customer.api_key } })).status).toBe(401);
  });

  it("logs in with the admin token: an HttpOnly, SameSite=Strict cookie scoped to /console, Secure over https", async () => {
    const res = await visit("/console/login", { form: { token: ADMIN_TOKEN } });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/console");
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/console(;|$)/);
    expect(cookie).toMatch(/; Max-Age=28800/);
    expect(cookie).not.toMatch(/; Secure/); // http://localhost development must work
    const value = sessionFrom(res);
    expect(value).not.toContain(ADMIN_TOKEN);
    expect(value).not.toContain(btoa(ADMIN_TOKEN).replace(/=+$/, ""));
    expect((await visit("/console", { cookie: value })).status).toBe(200);

    const secure = await visit("/console/login", { form: { token: ADMIN_TOKEN }, base: "https://relay.test" });
    expect(secure.headers.getSetCookie()[0]).toMatch(/; Secure/);
  });

  it("returns to the page asked for, and only to a console page", async () => {
    const login = await visit("/console/events?source=src_x");
    expect(login.status).toBe(303);
    expect(login.location).toBe(`/console/login?next=${encodeURIComponent("/console/events?source=src_x")}`);
    expect((await visit("/console/login", { form: { token: ADMIN_TOKEN, next: "/console/events?source=src_x" } })).location).toBe(
      "/console/events?source=src_x",
    );
    for (const next of ["https://evil.example", "//evil.example", "/v1/customers", "/consolex", "/console\r\nx: y"]) {
      expect((await visit("/console/login", { form: { token: ADMIN_TOKEN, next } })).location).toBe("/console");
    }
  });

  it("rejects forged, tampered, expired and rotated-key sessions", async () => {
    const config = getConfig(env);
    // Each with its row in D1, so the cookie itself is what is refused.
    const newSessionValue = (cfg: typeof config, now?: number) => startSession(createDb(env.DB), cfg, now);
    const good = await newSessionValue(config);
    expect((await visit("/console", { cookie: good })).status).toBe(200);
    const [expiry, id, mac] = good.split(".") as [string, string, string];
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const forged = [
      ADMIN_TOKEN,
      "",
      "garbage",
      `${expiry}.${id}`,
      `${expiry}.${id}.${flip(mac)}`,
      `${expiry}.${flip(id)}.${mac}`,
      `${Number(expiry) + 1000}.${id}.${mac}`, // a longer life is not signed
      await newSessionValue(config, Date.now() - SESSION_TTL_MS - 1000), // expired
      await newSessionValue(config, Date.now() + 86_400_000), // expiry beyond the session lifetime
      await newSessionValue({ ...config, adminToken: "rotated-admin-token-0123456789" }), // admin token rotated
      await newSessionValue({ ...config, encryptionKey: btoa("another-encryption-key-32-bytes!") }),
    ];
    for (const cookie of forged) {
      const res = await visit("/console", { cookie });
      expect(res.status, cookie).toBe(303);
      expect(res.location).toBe("/console/login?next=%2Fconsole");
    }
  });

  it("logs out: the cookie is cleared", async () => {
    const { cookie, csrf } = await logIn();
    const res = await visit("/console/logout", { cookie, form: { csrf } });
    expect(res.status).toBe(303);
    expect(res.location).toBe("/console/login?done=logged-out");
    expect(res.headers.getSetCookie()[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0; Path=/console`));
    expect((await visit("/console/login?done=logged-out")).text).toContain("You are logged out.");
  });
});

describe("console access control", () => {
  it("redirects every page and refuses every form without a session; /healthz and /in stay open", async () => {
    const paths = CONSOLE_PATHS();
    expect(paths).toContainEqual({ method: "GET", path: "/console" });
    expect(paths).toContainEqual({ method: "POST", path: "/console/events/evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6/replay" });
    const open = new Set(["GET /console/login", "POST /console/login", "GET /console/assets/console.css"]);
    for (const { method, path } of paths) {
      if (open.has(`${method} ${path}`)) continue;
      for (const cookie of [null, "forged.value.here"]) {
        const res = await visit(path.replace("*", "anything"), { method, cookie, form: method === "POST" ? { csrf: "x" } : undefined });
        if (method === "GET") {
          expect(res.status, `${method} ${path}`).toBe(303);
          expect(res.location).toMatch(/^\/console\/login\?next=/);
        } else {
          expect(res.status, `${method} ${path}`).toBe(401);
          expect(res.text).toContain("log in again");
        }
        expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      }
    }
    expect((await api.get("/healthz", null)).status).toBe(200);
    const ingest = await exports.default.fetch(`${BASE}/in/src_00000000000000000000000000`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(ingest.status).toBe(404); // the ingest route answered, not a login redirect
    expect((await ingest.json<any>()).error.code).toBe("not_found");
    // The API still wants its bearer token, whatever the console cookie.
    const { cookie } = await logIn();
    const apiWithCookie = await exports.default.fetch(`${BASE}/v1/customers`, { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
    expect(apiWithCookie.status).toBe(401);
  });

  it("keeps the console out of the OpenAPI document", async () => {
    const doc = (await api.get("/v1/openapi.json")).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/console"))).toBe(false);
  });

  it("refuses forms without this session's CSRF token, or sent from another site", async () => {
    const customer = await createCustomer();
    const endpoint = await createEndpoint(customer.id);
    const mine = await logIn();
    const other = await logIn();
    const action = `/console/endpoints/${endpoint.id}/status`;
    const forms: Record<string, string>[] = [
      { status: "paused" },
      { status: "paused", csrf: "" },
      { status: "paused", csrf: other.csrf },
      { status: "paused", csrf: `${mine.csrf}x` },
    ];
    for (const form of forms) {
      const res = await visit(action, { cookie: mine.cookie, form });
      expect(res.status).toBe(403);
      expect(res.text).toContain("CSRF token");
    }
    const crossSite = await visit(action, { cookie: mine.cookie, form: { status: "paused", csrf: mine.csrf }, headers: { "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    expect((await visit("/console/logout", { cookie: mine.cookie, form: {} })).status).toBe(403);
    expect((await api.get(`/v1/endpoints/${endpoint.id}`)).body.status).toBe("active");
    // The right token from a same-origin form works.
    const ok = await visit(action, { cookie: mine.cookie, form: { status: "paused", csrf: mine.csrf }, headers: { "sec-fetch-site": "same-origin" } });
    expect(ok.status).toBe(303);
    expect((await api.get(`/v1/endpoints/${endpoint.id}`)).body.status).toBe("paused");
  });
});

describe("console pages", () => {
  let net: Network;
  beforeEach(() => {
    net = stubNetwork();
  });
  afterEach(() => net.restore());

  /** A customer, a Keldair source without refetch (bodies forwarded, verified: false) and one endpoint. */
  async function keldairRelay(sourceName?: string) {
    const customer = await createCustomer();
    const secret = `whsec_${btoa("console-keldair-secret-123")}`;
    const source = await createSource(customer.id, "keldair", { verify: { secret } }, sourceName ? { name: sourceName } : {});
    const endpoint = await createEndpoint(customer.id, { url: `https://hooks.example.com/${customer.id}` });
    const hook = receiver(net, endpoint.url, () => endpoint.secret);
    const send = async (body: Record<string, unknown>) => {
      const raw = JSON.stringify(body);
      const headers = {
        "content-type": "application/json",
        "webhook-id": String(body.id),
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": new Webhook(secret).sign(String(body.id), new Date(), raw),
      };
      const res = await exports.default.fetch(`${BASE}/in/${source.id}`, { method: "POST", body: raw, headers });
      expect(res.status, await res.clone().text()).toBe(200);
    };
    const caseEvents = async (caseId: string, n: number) =>
      eventually(async () => {
        const res = await api.get(`/v1/cases/${source.id}/${encodeURIComponent(caseId)}`);
        return res.body.events?.length >= n && res.body;
      });
    return { customer, source, endpoint, hook, send, caseEvents };
  }

  const hired = (caseId: string, data: Record<string, unknown> = {}, at = "2026-11-20T10:00:00Z") => ({
    id: crypto.randomUUID(),
    type: "applicant.hired",
    version: "2022-02-23",
    dateOccurred: at,
    data: { id: caseId, firstName: "Lee", ...data },
  });

  it("renders provider data escaped: values, keys, the case id and the source name", async () => {
    const r = await keldairRelay(`Keldair ${XSS_SCRIPT}`);
    const caseId = `app_${XSS_IMG}`;
    await r.send(
      hired(caseId, {
        note: XSS_SCRIPT,
        [XSS_SCRIPT]: XSS_IMG,
        [XSS_IMG]: { nested: XSS_SCRIPT },
        list: [XSS_SCRIPT, XSS_IMG],
      }),
    );
    await r.caseEvents(caseId, 1);
    const { cookie } = await logIn();
    const page = await visit(`/console/case?source=${r.source.id}&case=${encodeURIComponent(caseId)}`, { cookie });
    expect(page.status, page.text).toBe(200);
    expectInert(page.text);
    expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page.text).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    // Keys are escaped inside the pretty-printed JSON too.
    expect(page.text).toContain("&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;: ");
    expect(page.text).toContain("not verified (body forwarded)");

    for (const path of ["/console", `/console/events?source=${r.source.id}`]) {
      const other = await visit(path, { cookie });
      expect(other.status).toBe(200);
      expectInert(other.text);
    }
    expect((await visit(`/console/events?source=${r.source.id}`, { cookie })).text).toContain("app_&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows a case's timeline: events with deliveries and attempts, receipts with outcomes and duplicates", async () => {
    const r = await keldairRelay();
    const first = hired("app_timeline", { stage: "applied" }, "2026-11-20T10:00:00Z");
    await r.send({ ...first, type: "applicant.created" });
    await r.send({ ...first, type: "applicant.created" }); // a provider redelivery
    await r.send(hired("app_timeline", { stage: "hired" }, "2026-11-20T11:00:00Z"));
    const trail = await r.caseEvents("app_timeline", 2);
    await eventually(async () => (await api.get(`/v1/cases/${r.source.id}/app_timeline`)).body.receipts.some((x: any) => x.duplicate_count === 1));
    const { cookie } = await logIn();
    const page = await visit(`/console/case?source=${r.source.id}&case=app_timeline`, { cookie });
    expect(page.status).toBe(200);
    for (const e of trail.events) expect(page.text).toContain(`id="${e.id}"`);
    expect(page.text.indexOf(trail.events[1].id)).toBeLessThan(page.text.indexOf(trail.events[0].id)); // newest first
    expect(page.text).toContain("case.created");
    expect(page.text).toContain("applicant.hired");
    expect(page.text).toContain(r.endpoint.url);
    expect(page.text).toMatch(/<span class="badge ok">succeeded<\/span>/);
    expect(page.text).toMatch(/ · 200 · \d+ ms/);
    expect(page.text).toContain("Receipts (2)");
    expect(page.text).toMatch(/<td>1<ul class="attempts">/); // the duplicate, counted on its receipt

    expect((await visit(`/console/case?source=${r.source.id}&case=nope`, { cookie })).status).toBe(404);
    expect((await visit(`/console/case?source=src_00000000000000000000000000&case=x`, { cookie })).status).toBe(404);
    expect((await visit(`/console/case?source=${r.source.id}`, { cookie })).status).toBe(422);
    const spoof = await visit(`/console/case?source=${encodeURIComponent("Call +1 555 0100 to restore access")}&case=x`, { cookie });
    expect(spoof.status).toBe(404);
    expect(spoof.text).not.toContain("555 0100");
  });

  it("replays an event from its case page: a new delivery, sent as a replay", async () => {
    const r = await keldairRelay();
    await r.send(hired("app_replay"));
    const trail = await r.caseEvents("app_replay", 1);
    const eventId = trail.events[0].id as string;
    await eventually(() => r.hook.got.length === 1);
    const { cookie, csrf } = await logIn();

    const res = await visit(`/console/events/${eventId}/replay`, { cookie, form: { csrf, endpoint_id: "" } });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/console/case?source=${r.source.id}&case=app_replay&done=replayed&n=1#${eventId}`);
    await eventually(() => r.hook.got.length === 2);
    expect(r.hook.got[1]!.body.data.trigger.kind).toBe("replay");
    expect(r.hook.got[1]!.id).toBe(eventId);
    const deliveries = (await api.get(`/v1/events/${eventId}/deliveries`)).body.data;
    expect(deliveries.map((d: any) => d.replay)).toEqual([false, true]);

    const page = await visit(res.location!, { cookie });
    expect(page.text).toContain("Replayed: 1 delivery.");
    expect(page.text).toContain("replay</div>");

    // To one endpoint; an endpoint of another customer is not found.
    expect((await visit(`/console/events/${eventId}/replay`, { cookie, form: { csrf, endpoint_id: r.endpoint.id } })).status).toBe(303);
    const stranger = await createEndpoint((await createCustomer()).id);
    const refused = await visit(`/console/events/${eventId}/replay`, { cookie, form: { csrf, endpoint_id: stranger.id } });
    expect(refused.status).toBe(404);
    expect(refused.text).toContain("not one of this customer");
    expect((await visit(`/console/events/evt_00000000000000000000000000/replay`, { cookie, form: { csrf } })).status).toBe(404);
  });

  it("pauses, resumes and recovers an endpoint from the overview", async () => {
    const customer = await createCustomer();
    const endpoint = await createEndpoint(customer.id);
    const { cookie, csrf } = await logIn();
    const status = (value: string) => visit(`/console/endpoints/${endpoint.id}/status`, { cookie, form: { csrf, status: value } });

    const paused = await status("paused");
    expect(paused.status).toBe(303);
    expect(paused.location).toBe(`/console?done=paused#${endpoint.id}`);
    expect((await api.get(`/v1/endpoints/${endpoint.id}`)).body.status).toBe("paused");
    const overview = await visit(paused.location!, { cookie });
    expect(overview.text).toContain("Endpoint paused");
    expect(overview.text).toContain(`action="/console/endpoints/${endpoint.id}/status"`);

    // Recover needs an active endpoint, as in the API.
    const conflict = await visit(`/console/endpoints/${endpoint.id}/recover`, { cookie, form: { csrf, since: "2026-11-20T00:00" } });
    expect(conflict.status).toBe(409);
    expect(conflict.text).toContain("resume it first");

    expect((await status("active")).location).toBe(`/console?done=resumed#${endpoint.id}`);
    expect((await api.get(`/v1/endpoints/${endpoint.id}`)).body.status).toBe("active");
    expect((await status("disabled")).status).toBe(422);

    const recovered = await visit(`/console/endpoints/${endpoint.id}/recover`, { cookie, form: { csrf, since: "2026-11-20T00:00" } });
    expect(recovered.location).toBe(`/console?done=recovered&n=0#${endpoint.id}`);
    expect((await visit(`/console/endpoints/${endpoint.id}/recover`, { cookie, form: { csrf, since: "yesterday" } })).status).toBe(422);
  });

  it("sends a test event from the overview and shows the answer", async () => {
    const customer = await createCustomer();
    const endpoint = await createEndpoint(customer.id, { url: "https://tested.example.com/hook" });
    const hook = receiver(net, endpoint.url, () => endpoint.secret);
    hook.respond(() => new Response("<b>received</b>", { status: 202 }));
    const { cookie, csrf } = await logIn();
    expect((await visit("/console", { cookie })).text).toContain(`action="/console/endpoints/${endpoint.id}/test"`);
    // CSRF like every form: nothing is sent without this session's token.
    expect((await visit(`/console/endpoints/${endpoint.id}/test`, { cookie, form: { csrf: "forged" } })).status).toBe(403);
    expect(hook.got).toHaveLength(0);

    const sent = await visit(`/console/endpoints/${endpoint.id}/test`, { cookie, form: { csrf } });
    expect(sent.status).toBe(303);
    expect(sent.location).toBe(`/console?done=tested&n=202#${endpoint.id}`);
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0]!.verified).toBe(true);
    expect(hook.got[0]!.body.data.trigger.kind).toBe("test");
    const page = await visit(sent.location!, { cookie });
    expect(page.text).toContain("Test event sent: the endpoint answered 202.");
    expect(page.text).toContain("last test:");
    // The endpoint's answer is shown as text, never as markup.
    expect(page.text).toContain("&lt;b&gt;received&lt;/b&gt;");
    expect((await api.get(`/v1/endpoints/${endpoint.id}/tests`)).body.data).toHaveLength(1);

    hook.respond(() => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    });
    const timedOut = await visit(`/console/endpoints/${endpoint.id}/test`, { cookie, form: { csrf } });
    expect(timedOut.location).toBe(`/console?done=tested&n=timeout#${endpoint.id}`);
    expect((await visit(timedOut.location!, { cookie })).text).toContain("Test event sent: no answer (timeout).");
    // A forged notice says nothing it was not meant to.
    expect((await visit("/console?done=tested&n=%3Cscript%3E", { cookie })).text).toContain("no answer (connect)");
  });

  it("shows source and endpoint health on the overview", async () => {
    const r = await keldairRelay();
    await r.send(hired("app_health_1"));
    await r.send(hired("app_health_2"));
    await r.caseEvents("app_health_2", 1);
    await r.caseEvents("app_health_1", 1);
    const { cookie } = await logIn();
    const page = await visit("/console", { cookie });
    const today = new Date().toISOString().slice(0, 10);
    expect(page.text).toContain(`title="${today}: 2 receipts, 0 duplicates"`);
    const row = page.text.slice(page.text.indexOf(`<tr id="${r.endpoint.id}">`));
    expect(row).toMatch(/<strong>0 %<\/strong><div class="small muted">0 of 2 attempts failed/);
  });

  it("shows how full each D1 database is: the control plane's and the events index's own", async () => {
    const { cookie } = await logIn();
    const page = await visit("/console", { cookie });
    const section = page.text.slice(page.text.indexOf('id="databases"'));
    expect(section).toContain("One D1 database holds 10 GB.");
    for (const [binding, holds] of [
      ["DB", "the control plane"],
      ["INDEX_1", "the events index"],
      ["INDEX_2", "the events index"],
    ]) {
      expect(section).toMatch(
        new RegExp(`<td class="mono">${binding}</td><td>${holds}</td><td>[\\d.]+ MB</td><td>[\\d.]+ %</td><td><span class="badge ok">room</span>`),
      );
    }
  });

  it("pages events newest first by id", async () => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "keldair");
    // 120 index rows of one source, inserted directly (where the relay would: one day's database):
    // paging reads only the id order.
    await indexBindingOf("evt_01JD3ZQ7W8X9Y0A1B2C3D40001")
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
       INSERT INTO events (customer_id, id, source_id, case_id, sequence, type, status)
       SELECT ?1, printf('evt_01JD3ZQ7W8X9Y0A1B2C3D4%04d', i), ?2, 'case-' || i, 1, 'case.updated', 'in_progress' FROM n`,
      )
      .bind(customer.id, source.id)
      .run();
    const { cookie } = await logIn();
    const ids: string[] = [];
    let path: string | null = `/console/events?source=${source.id}`;
    while (path) {
      const page = await visit(path, { cookie });
      expect(page.status).toBe(200);
      ids.push(...[...page.text.matchAll(/<div class="mono small muted">(evt_\w+)<\/div>/g)].map((m) => m[1]!));
      path = /<a href="([^"]+)">Older →<\/a>/.exec(page.text)?.[1]?.replace(/&amp;/g, "&") ?? null;
    }
    expect(ids).toHaveLength(120);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(120);
  });

  it("counts receipts per source and day, and attempts per endpoint, from counters added to once per batch", async () => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "keldair");
    const endpoint = await createEndpoint(customer.id);
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO source_days (source_id, day, receipts, duplicates) VALUES (?1, ?2, 40, 3), (?1, ?3, 7, 0), (?1, ?4, 9, 9)").bind(
        source.id,
        day,
        day - 86_400_000,
        day - 30 * 86_400_000,
      ),
      env.DB.prepare("INSERT INTO endpoint_hours (endpoint_id, hour, attempts, failures) VALUES (?1, ?2, 10, 4), (?1, ?3, 99, 99)").bind(
        endpoint.id,
        Math.floor(Date.now() / 3_600_000) * 3_600_000,
        Date.now() - 3 * 86_400_000,
      ),
    ]);
    const activity = (await sourceActivity(env.DB, [source.id])).get(source.id)!;
    expect(activity.days).toHaveLength(7);
    expect(activity.days.at(-1)).toMatchObject({ receipts: 40, duplicates: 3 });
    expect(activity.days.at(-2)).toMatchObject({ receipts: 7, duplicates: 0 });
    expect(activity.days.reduce((n, d) => n + d.receipts, 0)).toBe(47);
    const health = (await endpointActivity(env.DB, [endpoint.id])).byEndpoint.get(endpoint.id)!;
    expect(health).toMatchObject({ attempts: 10, failedAttempts: 4, retrying: 0, failed: 0, held: 0 });
  });
});
