/**
 * Hostile input against every public route: ingest (`POST /in/{source_id}`) and every admin route
 * listed in `GET /v1/openapi.json`. Whatever is sent, the answer is a 4xx with a machine-readable
 * code (never a 5xx), nothing is stored or queued, and no configured secret reaches a log line.
 * Payloads that are odd but legitimate are accepted and followed through the pipeline: each ends
 * forwarded or failed, visibly, never stuck. Then the security properties SECURITY.md claims:
 * secrets encrypted at rest and never returned, logged or forwarded (tenant isolation on every
 * route is test/http/security.test.ts); the admin token everywhere but /in/* and /healthz; outbound URL rules when deployed;
 * constant-time secret comparison. Property tests (fast-check) close the file.
 *
 * fast-check is seeded: `VITE_FC_SEED=<seed> npx vitest run --project workers test/reliability/hostile.test.ts`
 * (the seed is printed on failure). The figures are printed with console.log (`--silent=false`).
 */
import { createExecutionContext, createMessageBatch, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import worker from "../../src/index";
import { ERROR_STATUS } from "../../src/http/errors";
import { indexStatements, type IndexWrite } from "../../src/db/index-writes";
import { MAX_JSON_DEPTH, jsonNestingExceeds } from "../../src/http/ingest";
import { bytesToBase64, bytesToHex, decryptJson, hmac, sha256Hex } from "../../src/lib/crypto";
import { resolvePrincipal } from "../../src/http/auth";
import { eventFingerprint } from "../../src/pipeline/fingerprint";
import { withoutExpiredLinks } from "../../src/pipeline/links";
import { redactCredentials } from "../../src/pipeline/redact";
import { verifyWith } from "../../src/providers/schemes";
import { karmacheck } from "../../src/providers/karmacheck";
import { truework } from "../../src/providers/truework";
import { ADMIN_TOKEN, api, request, type ApiResponse } from "../helpers/api";
import { caseStub } from "../helpers/cases";

/** Everything a case object keeps of its case, bodies included. */
const storedRows = (sourceId: string, caseId: string) =>
  runInDurableObject(caseStub(sourceId, caseId), (_o, state) =>
    state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'receipts'").toArray().length
      ? (state.storage.sql.exec("SELECT * FROM receipts").toArray() as { outcome: string; duplicate_count: number }[])
      : [],
  );
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { json, stubNetwork, type Network } from "../helpers/net";
import { eventually } from "../helpers/wait";

const FC_SEED = Number(process.env.VITE_FC_SEED ?? 90210);
const ENCRYPTION_KEY = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE="; // vitest.config.ts
const print = console.log.bind(console);

// ---- what is configured, and must never leak -------------------------------------------------------

const S = {
  kcPass: "hostile-kc-password-7f3a",
  kcKey: "hostile-kc-api-key-91b2",
  kcCat: "hostile-kc-client-access-token-55d0",
  twToken: "hostile-tw-token-a81c",
  tw2Token: "hostile-tw2-token-0d4e",
  twKey: "hostile-tw-api-key-6c2f",
  ckSecret: "hostile-ck-client-secret-3e9a",
  kdSecret: `whsec_${btoa("hostile-keldair-signing-key-1")}`,
  kd2Secret: `whsec_${btoa("hostile-keldair-signing-key-2")}`,
  stdSecret: "hostile-std-hmac-secret-b7e1",
  /** What the fake provider APIs hand out or put in their states: must be stripped or encrypted too. */
  kcJwt: "hostile-kc-jwt-issued-4a4a",
  ckAccess: "hostile-ck-access-token-9c9c",
  providerSideSecret: "provider-side-secret-in-state-2b2b",
};
const secrets = (): string[] => [...Object.values(S), ADMIN_TOKEN, ENCRYPTION_KEY, ...dynamicSecrets];
/** Not a secret (the config view shows it), but stripped from stored and forwarded webhook bodies. */
const KC_USERNAME = "hostile-kc-user";
/** Endpoint signing secrets and customer API keys, known once created. */
const dynamicSecrets: string[] = [];

const figures = { ingestRejected: 0, ingestAccepted: 0, adminRejected: 0, productionChecks: 0, fiveXX: 0, propertyRuns: 0 };

// ---- capture: logs, queue sends, D1 ------------------------------------------------------------------

const logs: string[] = [];
let inboxSends: MockInstance;
let net: Network;
const forwarded: string[] = [];
/** Response bodies of reads (GET): none may carry a secret. */
const reads: string[] = [];

/** D1: the control plane and the index (receipts, events and their bodies live in case objects). */
const TABLES = {
  customers: "*",
  sources: "*",
  endpoints: "*",
  events: "*",
  deliveries: "*",
  cases: "*",
  failed_receipts: "*",
  source_days: "*",
  endpoint_hours: "*",
  issues: "*",
  endpoint_tests: "*",
  alert_endpoints: "*",
};
/** Every row of every table: a rejected request must leave this unchanged. */
async function dump(columns: "all" | "digest" = "digest"): Promise<string> {
  const results = await env.DB.batch(Object.entries(TABLES).map(([t, cols]) => env.DB.prepare(`SELECT ${columns === "all" ? "*" : cols} FROM ${t}`)));
  return JSON.stringify(results.map((r) => r.results));
}

const CODES = Object.keys(ERROR_STATUS);

/** Sends a request that must be refused: 4xx, an error code that matches the status, nothing stored or queued. */
async function refused(name: string, send: () => Promise<ApiResponse>, expected?: { status?: number; code?: string }) {
  const before = await dump();
  const sends = inboxSends.mock.calls.length;
  const res = await send();
  if (res.status >= 500) figures.fiveXX++;
  expect.soft(res.status, `${name}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect.soft(res.status, `${name}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (expected?.status) expect.soft(res.status, name).toBe(expected.status);
  const code = res.body?.error?.code;
  expect.soft(CODES, `${name}: code ${code}`).toContain(code);
  expect.soft(ERROR_STATUS[code as keyof typeof ERROR_STATUS], `${name}: status of ${code}`).toBe(res.status);
  if (expected?.code) expect.soft(code, name).toBe(expected.code);
  expect.soft(res.body?.error?.request_id, name).toMatch(/^req_/);
  expect.soft(inboxSends.mock.calls.length, `${name}: queued`).toBe(sends);
  expect.soft(await dump(), `${name}: changed D1`).toBe(before);
  return res;
}

// ---- requests ------------------------------------------------------------------------------------------

const post = (sourceId: string, raw: BodyInit, headers: Record<string, string> = {}) =>
  request("POST", `/in/${sourceId}`, { token: null, raw, headers: { "content-type": "application/json", ...headers } });

function signKeldair(secret: string, raw: string, id = `msg_${crypto.randomUUID()}`, at = new Date()) {
  return { "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": new Webhook(secret).sign(id, at, raw) };
}

async function signHmac(secret: string, raw: string, ts = Math.floor(Date.now() / 1000)) {
  const mac = await hmac("sha256", new TextEncoder().encode(secret), `${ts}.${raw}`);
  return { "x-hostile-signature": `sha256=${bytesToHex(mac)}`, "x-hostile-timestamp": String(ts) };
}

const nested = (depth: number, leaf = "1") => "[".repeat(depth) + leaf + "]".repeat(depth);
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** Calls the Worker with ENVIRONMENT=production, as when deployed. */
const production = new Proxy(env, { get: (t, p) => (p === "ENVIRONMENT" ? "production" : Reflect.get(t, p)) });
async function prodRequest(method: string, path: string, opts: { body?: unknown; token?: string | null } = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await worker.fetch!(
    new Request(`http://relay.test${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }) as Request<
      unknown,
      IncomingRequestCfProperties
    >,
    production,
    createExecutionContext(),
  );
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers, text };
}

// ---- the world: two customers, one source per provider (and a few more), fake APIs, endpoints ---------

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;

async function makeWorld() {
  const a = await createCustomer("hostile-a");
  const b = await createCustomer("hostile-b");
  dynamicSecrets.push(a.api_key, b.api_key);
  const kc = await createSource(a.id, "karmacheck", {
    username: KC_USERNAME,
    password: S.kcPass,
    api: { base_url: "https://kc.hostile.test", api_key: S.kcKey, client_access_token: S.kcCat },
  });
  const tw = await createSource(a.id, "truework", { tokens: [S.twToken], api: { base_url: "https://tw.hostile.test", api_key: S.twKey } });
  const tw2 = await createSource(a.id, "truework", { tokens: [S.tw2Token] });
  // Case Keeper sends no credentials by default: anyone who finds the URL can post.
  const ck = await createSource(a.id, "casekeeper", { api: { base_url: "https://ck.hostile.test", client_id: "hostile", client_secret: S.ckSecret } });
  // Keldair without an API: its bodies are forwarded as they came (verified: false).
  const kd = await createSource(a.id, "keldair", { verify: { secret: S.kdSecret } });
  const kd2 = await createSource(a.id, "keldair", { verify: { secret: S.kd2Secret } });
  const std = await createSource(a.id, "standard", {
    verify: { scheme: "hmac", header: "x-hostile-signature", prefix: "sha256=", secret: S.stdSecret, timestamp_header: "x-hostile-timestamp" },
    fields: { case_id: "/case/id", event_id: "/id", type: "/type" },
  });
  const ep = await createEndpoint(a.id, { url: "https://hooks.hostile.test/a" });
  dynamicSecrets.push(ep.secret);
  // Alerts: an alert endpoint of A's (made with A's key) and an issue about A's endpoint.
  const aAlerts = (await api.post("/v1/alert-endpoints", { url: "https://alerts.hostile.test/a" }, a.api_key)).body as {
    id: string;
    secret: string;
    url: string;
  };
  dynamicSecrets.push(aAlerts.secret);
  const seen: IndexWrite = {
    kind: "issue",
    issue: "endpoint.failing",
    subjectId: ep.id,
    count: 5,
    threshold: 5,
    detail: "HTTP 500",
    ref: null,
    at: Date.now(),
  };
  await env.DB.batch(indexStatements(env.DB, [seen]));
  const aIssue = (await env.DB.prepare("SELECT id FROM issues WHERE subject_id = ?").bind(ep.id).first<{ id: string }>())!.id;
  return { a, b, kc, tw, tw2, ck, kd, kd2, std, ep, aAlerts, aIssue };
}

const kcState = (id: string) => ({
  id,
  caseStatus: "Pending",
  secondaryStatus: "Reviewing Order",
  modStamp: "2026-11-01T10:00:00.000Z",
  groupProfileId: "g",
  apiKey: S.providerSideSecret,
  reviewer: { password: S.providerSideSecret, name: "Lee" },
});

beforeAll(async () => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logs.push(args.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" "));
    });
  }
  inboxSends = vi.spyOn(env.INBOX, "send");
  net = stubNetwork();
  net.on("https://kc.hostile.test/auth/api", () => json({ token: S.kcJwt }));
  net.on("https://kc.hostile.test/case/id/", (req) => {
    const id = decodeURIComponent(new URL(req.url).pathname.split("/").pop()!);
    return id.startsWith("kc-") ? json({ cases: [kcState(id)] }) : new Response("forbidden", { status: 403 });
  });
  net.on("https://tw.hostile.test/orders/", () => new Response("not found", { status: 404 }));
  net.on("https://ck.hostile.test/auth/", () => json({ access_token: S.ckAccess, expires_in: 3600 }));
  net.on("https://ck.hostile.test/api/", () => new Response("not found", { status: 404 }));
  net.on("https://alerts.hostile.test/", () => new Response("ok"));
  net.on("https://hooks.hostile.test/", async (_req, call) => {
    forwarded.push(call.body);
    return new Response("ok");
  });
  w = await makeWorld();
});

afterAll(() => {
  net.restore();
  vi.restoreAllMocks();
  print(`hostile fast-check seed ${FC_SEED} (override with VITE_FC_SEED)`);
  print(`hostile figures ${JSON.stringify(figures)}`);
});

// ---- ingest ---------------------------------------------------------------------------------------------

describe("hostile ingest", () => {
  it("refuses every malformed, unauthenticated or oversized webhook with a 4xx, storing and queueing nothing", { timeout: 60_000 }, async () => {
    const kdEvent = (data: string) => `{"id":"evt-h","type":"applicant.updated","dateOccurred":"2026-11-01T10:00:00+00:00","data":${data}}`;
    const kcCreds = { username: KC_USERNAME, password: S.kcPass };
    const kcBasic = { authorization: `Basic ${btoa(`${KC_USERNAME}:${S.kcPass}`)}` };
    const kcEnvelope = { messageId: "m-1", event: "case.statuschange", eventObject: { id: "kc-1", modStamp: "2026-11-01T10:00:00Z" } };
    const twHeader = { "x-truework-token": S.twToken };
    const twEnvelope = {
      version: "2023-10-30",
      hook: { id: "h", event: "order.completed", triggered_at: "2026-11-01T10:00:00Z" },
      data: { order_id: "ord_1" },
    };
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, () => Promise<ApiResponse>, { status?: number; code?: string }?][] = [];
    const add = (name: string, send: () => Promise<ApiResponse>, expected?: { status?: number; code?: string }) => cases.push([name, send, expected]);

    for (const [label, id] of [
      ["karmacheck", w.kc.id],
      ["truework", w.tw.id],
      ["casekeeper", w.ck.id],
      ["keldair", w.kd.id],
      ["standard", w.std.id],
    ] as const) {
      add(`${label}: empty body`, () => post(id, ""), { status: 400, code: "invalid_json" });
      add(`${label}: whitespace body`, () => post(id, " \r\n\t "), { status: 400, code: "invalid_json" });
      add(`${label}: truncated JSON`, () => post(id, '{"key": "verification.updated", "data": {'), { status: 400, code: "invalid_json" });
      add(`${label}: JavaScript, not JSON`, () => post(id, "{key: 'x', data: NaN}"), { status: 400, code: "invalid_json" });
      for (const [what, bytes] of [
        ["lone continuation byte", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]],
        ["overlong slash", [0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]],
        ["UTF-16 surrogate", [0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]],
        ["truncated sequence", [0x7b, 0x22, 0xe2, 0x82, 0x22, 0x3a, 0x31, 0x7d]],
      ] as const) {
        add(`${label}: invalid UTF-8 (${what})`, () => post(id, new Uint8Array(bytes)), { status: 400, code: "invalid_json" });
      }
      add(`${label}: form body`, () => post(id, "key=verification.updated&data[id]=1", { "content-type": "application/x-www-form-urlencoded" }), {
        status: 415,
        code: "unsupported_media_type",
      });
      add(
        `${label}: multipart body`,
        () => post(id, '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', { "content-type": "multipart/form-data; boundary=x" }),
        { status: 415, code: "unsupported_media_type" },
      );
    }
    add("keldair: body over 1 MiB", () => post(w.kd.id, `{"pad":"${"x".repeat(1024 * 1024)}"}`), { status: 413, code: "payload_too_large" });
    add("casekeeper: body over 1 MiB, no content-length", () => post(w.ck.id, new Blob([`{"pad":"${"x".repeat(1024 * 1024)}"}`]).stream()), {
      status: 413,
      code: "payload_too_large",
    });

    // Nesting: past what the pipeline keeps (redaction stops at 64 levels), and deep enough to
    // overflow the stack of recursive code (Case Keeper hashes a body without a version).
    for (const depth of [MAX_JSON_DEPTH, 5_000, 300_000]) {
      add(`casekeeper: data nested ${depth} deep`, () => post(w.ck.id, `{"key":"verification.updated","data":{"id":"ck-deep","blob":${nested(depth)}}}`), {
        status: 422,
        code: "invalid_payload",
      });
      add(
        `keldair (no API, body forwarded): data nested ${depth} deep`,
        () => {
          const raw = kdEvent(`{"id":"kd-deep","blob":${nested(depth)}}`);
          return post(w.kd.id, raw, signKeldair(S.kdSecret, raw));
        },
        { status: 422, code: "invalid_payload" },
      );
      add(
        `karmacheck: eventObject nested ${depth} deep`,
        () =>
          post(
            w.kc.id,
            JSON.stringify({ ...kcCreds, ...kcEnvelope, eventObject: { ...kcEnvelope.eventObject, extra: "__DEEP__" } }).replace('"__DEEP__"', nested(depth)),
          ),
        { status: 422, code: "invalid_payload" },
      );
    }

    // Authentication.
    add("karmacheck: no credentials", () => post(w.kc.id, JSON.stringify(kcEnvelope)), { status: 401, code: "unauthorized" });
    add("karmacheck: wrong password", () => post(w.kc.id, JSON.stringify({ ...kcEnvelope, username: KC_USERNAME, password: "guess" })), {
      status: 401,
      code: "unauthorized",
    });
    add(
      "karmacheck: CR/LF smuggled into the username",
      () => post(w.kc.id, JSON.stringify({ ...kcEnvelope, username: `${KC_USERNAME}\r\nX-Injected: 1`, password: S.kcPass })),
      { status: 401, code: "unauthorized" },
    );
    add(
      "karmacheck: CR/LF inside Basic credentials",
      () => post(w.kc.id, JSON.stringify(kcEnvelope), { authorization: `Basic ${btoa(`${KC_USERNAME}\r\nX-Injected: 1:${S.kcPass}`)}` }),
      { status: 401, code: "unauthorized" },
    );
    add("karmacheck: credentials as numbers", () => post(w.kc.id, JSON.stringify({ ...kcEnvelope, username: 1, password: 2 })), {
      status: 401,
      code: "unauthorized",
    });
    add("karmacheck: credentials as objects", () => post(w.kc.id, JSON.stringify({ ...kcEnvelope, username: { $ne: "" }, password: { $ne: "" } })), {
      status: 401,
      code: "unauthorized",
    });
    add("truework: no token", () => post(w.tw.id, JSON.stringify(twEnvelope)), { status: 401, code: "unauthorized" });
    add("truework: the token of another source", () => post(w.tw.id, JSON.stringify(twEnvelope), { "x-truework-token": S.tw2Token }), {
      status: 401,
      code: "unauthorized",
    });
    add("truework: SQL for a token", () => post(w.tw.id, JSON.stringify(twEnvelope), { "x-truework-token": "' OR '1'='1" }), {
      status: 401,
      code: "unauthorized",
    });
    const kdRaw = kdEvent('{"id":"kd-auth"}');
    add("keldair: unsigned", () => post(w.kd.id, kdRaw), { status: 401, code: "unauthorized" });
    add("keldair: signed for another source", () => post(w.kd.id, kdRaw, signKeldair(S.kd2Secret, kdRaw)), { status: 401, code: "unauthorized" });
    add("keldair: replayed 6 minutes later", () => post(w.kd.id, kdRaw, signKeldair(S.kdSecret, kdRaw, "msg_old", new Date(Date.now() - 301_000))), {
      status: 401,
      code: "unauthorized",
    });
    add("keldair: timestamped 6 minutes ahead", () => post(w.kd.id, kdRaw, signKeldair(S.kdSecret, kdRaw, "msg_new", new Date(Date.now() + 301_000))), {
      status: 401,
      code: "unauthorized",
    });
    add("keldair: signature of another body", () => post(w.kd.id, kdRaw.replace("kd-auth", "kd-other"), signKeldair(S.kdSecret, kdRaw)), {
      status: 401,
      code: "unauthorized",
    });
    add("keldair: timestamp not a number", () => post(w.kd.id, kdRaw, { ...signKeldair(S.kdSecret, kdRaw), "webhook-timestamp": "now" }), {
      status: 401,
      code: "unauthorized",
    });
    add("keldair: unknown signature version", () => post(w.kd.id, kdRaw, { ...signKeldair(S.kdSecret, kdRaw), "webhook-signature": "v2,abc v1a,def" }), {
      status: 401,
      code: "unauthorized",
    });
    add(
      "keldair: 5000 bogus signatures",
      () =>
        post(w.kd.id, kdRaw, {
          ...signKeldair(S.kdSecret, kdRaw),
          "webhook-signature": Array.from({ length: 5000 }, (_, i) => `v1,${btoa(String(i))}`).join(" "),
        }),
      { status: 401, code: "unauthorized" },
    );
    const stdRaw = '{"id":"e-1","type":"thing.updated","case":{"id":"c-1"}}';
    add("standard: replayed HMAC (timestamp 301 s old)", async () => post(w.std.id, stdRaw, await signHmac(S.stdSecret, stdRaw, now - 301)), {
      status: 401,
      code: "unauthorized",
    });
    add("standard: HMAC of another secret", async () => post(w.std.id, stdRaw, await signHmac("guess", stdRaw)), { status: 401, code: "unauthorized" });

    // Envelopes that do not hold what the provider sends (authenticated, so parsing is reached).
    const kc = (body: unknown) => () => post(w.kc.id, JSON.stringify(body), kcBasic);
    add("karmacheck: messageId a number", kc({ ...kcEnvelope, messageId: 123 }), { status: 422, code: "invalid_payload" });
    add("karmacheck: event an array", kc({ ...kcEnvelope, event: ["case.statuschange"] }), { status: 422, code: "invalid_payload" });
    add("karmacheck: eventObject.id an object", kc({ ...kcEnvelope, eventObject: { id: { $gt: "" } } }), { status: 422, code: "invalid_payload" });
    add("karmacheck: eventObject.id empty", kc({ ...kcEnvelope, eventObject: { id: "" } }), { status: 422, code: "invalid_payload" });
    add("karmacheck: a service event without caseId", kc({ ...kcEnvelope, event: "casedata.statuschange" }), { status: 422, code: "invalid_payload" });
    add("karmacheck: envelope smuggled in __proto__", kc(JSON.parse(`{"__proto__": ${JSON.stringify(kcEnvelope)}}`)), { status: 422, code: "invalid_payload" });
    add("karmacheck: envelope under constructor.prototype", kc({ constructor: { prototype: kcEnvelope } }), { status: 422, code: "invalid_payload" });
    for (const scalar of ["null", "true", "42", '"case.statuschange"', "[]"])
      add(`karmacheck: body ${scalar}`, () => post(w.kc.id, scalar, kcBasic), { status: 422, code: "invalid_payload" });
    const tw = (body: unknown) => () => post(w.tw.id, JSON.stringify(body), twHeader);
    add("truework: hook.event a number", tw({ ...twEnvelope, hook: { ...twEnvelope.hook, event: 7 } }), { status: 422, code: "invalid_payload" });
    add("truework: data an array", tw({ ...twEnvelope, data: [] }), { status: 422, code: "invalid_payload" });
    add("truework: order_id null", tw({ ...twEnvelope, data: { order_id: null } }), { status: 422, code: "invalid_payload" });
    add("truework: envelope smuggled in __proto__", tw(JSON.parse(`{"__proto__": ${JSON.stringify(twEnvelope)}}`)), { status: 422, code: "invalid_payload" });
    const ck = (body: unknown) => () => post(w.ck.id, JSON.stringify(body));
    add("casekeeper: key a number", ck({ key: 7, data: { id: "x" } }), { status: 422, code: "invalid_payload" });
    add("casekeeper: a key of another provider", ck({ key: "order.completed", data: { id: "x" } }), { status: 422, code: "invalid_payload" });
    add("casekeeper: data.id a boolean", ck({ key: "verification.updated", data: { id: true } }), { status: 422, code: "invalid_payload" });
    add("casekeeper: data under prototype", ck({ key: "verification.updated", prototype: { data: { id: "x" } } }), { status: 422, code: "invalid_payload" });
    const kd = (raw: string) => () => post(w.kd.id, raw, signKeldair(S.kdSecret, raw));
    add("keldair: type an array", kd('{"id":"e","type":[],"data":{"id":"x"}}'), { status: 422, code: "invalid_payload" });
    add("keldair: id null", kd('{"id":null,"type":"applicant.updated","data":{"id":"x"}}'), { status: 422, code: "invalid_payload" });
    add("keldair: no case id", kd('{"id":"e","type":"applicant.updated","data":{}}'), { status: 422, code: "invalid_payload" });
    add("keldair: case id in __proto__", kd('{"id":"e","type":"applicant.updated","data":{"__proto__":{"id":"x"}}}'), { status: 422, code: "invalid_payload" });
    add("standard: no case id", async () => post(w.std.id, '{"id":"e-2","type":"t"}', await signHmac(S.stdSecret, '{"id":"e-2","type":"t"}')), {
      status: 422,
      code: "invalid_payload",
    });

    // Where the webhook goes.
    const body = JSON.stringify({ ...kcCreds, ...kcEnvelope });
    add("unknown source", () => post("src_00000000000000000000000000", body), { status: 404, code: "not_found" });
    add("SQL in the source id", () => post(encodeURIComponent("src_' OR '1'='1"), body), { status: 404, code: "not_found" });
    add("SQL after a valid-looking source id", () => post(encodeURIComponent(`${w.kc.id}'; DROP TABLE receipts; --`), body), {
      status: 404,
      code: "not_found",
    });
    add("path traversal in the source id", () => post("..%2F..%2Fv1%2Fcustomers", body), { status: 404, code: "not_found" });
    add("a lower-cased source id", () => post(w.kc.id.toLowerCase(), body), { status: 404, code: "not_found" });
    for (const method of ["GET", "PUT", "PATCH", "DELETE"])
      add(`${method} on an ingest URL`, () => request(method, `/in/${w.kc.id}`, { token: null }), { status: 404, code: "not_found" });

    for (const [name, send, expected] of cases) await refused(name, send, expected);
    figures.ingestRejected += cases.length;

    const deleted = await createSource(w.a.id, "karmacheck", { username: KC_USERNAME, password: S.kcPass });
    await api.delete(`/v1/sources/${deleted.id}`);
    await refused("a deleted source", () => post(deleted.id, body), { status: 404, code: "not_found" });
    figures.ingestRejected++;
  });

  it("accepts odd but valid webhooks and follows each to forwarded or failed, never stuck", { timeout: 30_000 }, async () => {
    const kdEvent = (id: string, caseId: unknown, data: string, type = "applicant.updated") =>
      `{"id":${JSON.stringify(id)},"type":"${type}","dateOccurred":"2026-11-01T10:00:00+00:00","data":{"id":${JSON.stringify(caseId)},${data}}}`;
    type Weird = {
      name: string;
      source: { id: string };
      caseId: string;
      raw: string;
      headers: Record<string, string>;
      outcome: "forwarded" | "failed";
      check?: (state: any) => void;
    };
    const weird: Weird[] = [];
    const kd = (name: string, caseId: string, data: string, check?: Weird["check"]) => {
      const raw = kdEvent(`e-${weird.length}`, caseId, data);
      weird.push({ name, source: w.kd, caseId, raw, headers: signKeldair(S.kdSecret, raw), outcome: "forwarded", check });
    };
    kd("SQL in the case id", "x'); DROP TABLE receipts; --", '"note":"1 OR 1=1"');
    kd(
      "__proto__, constructor and prototype keys",
      "proto-case",
      '"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"x":1}',
      (state) => {
        expect(Object.keys(state.data)).toEqual(["id", "__proto__", "constructor", "prototype"]);
        expect(JSON.stringify(state.data)).toContain('"__proto__":{"polluted":true}');
      },
    );
    kd("a case id with slashes, dots and percent signs", "../../v1/customers/%2e%2e", '"x":1');
    kd("unicode: RTL override, emoji, zero-width and NUL", "case-\u202e\u{1F600}\u200b\u0000", '"name":"\\u0000\\ud800 lone surrogate"');
    kd(`nesting exactly ${MAX_JSON_DEPTH} deep`, "deep-ok", `"blob":${nested(MAX_JSON_DEPTH - 2)}`, (state) =>
      expect(JSON.stringify(state.data.blob)).toBe(nested(MAX_JSON_DEPTH - 2)),
    );
    kd("a 90 KB string (fits one queue message)", "big-case", `"notes":"${"n".repeat(90_000)}"`);
    kd("a 40 KB string of quotes (escaped twice into its message: stashed in its case object)", "quoted-case", `"notes":"${'\\"'.repeat(20_000)}"`);
    kd("a 300 KB body (stashed in its case object)", "stashed-case", `"notes":"${"s".repeat(300_000)}"`);
    kd(
      "credential-named keys inside the body",
      "creds-case",
      `"password":"${S.providerSideSecret}","nested":{"api_key":"${S.providerSideSecret}","Authorization":"Bearer x"}`,
      (state) => {
        expect(JSON.stringify(state)).not.toContain(S.providerSideSecret);
      },
    );
    {
      const raw = kdEvent("e-num", 12345, '"x":1');
      weird.push({ name: "a numeric case id", source: w.kd, caseId: "12345", raw, headers: signKeldair(S.kdSecret, raw), outcome: "forwarded" });
    }
    // Providers with an API: the state is refetched; what the provider does not know ends failed (gone).
    weird.push({
      name: "KarmaCheck: numbers for strings, credentials in the refetched state",
      source: w.kc,
      caseId: "kc-777",
      raw: JSON.stringify({
        messageId: "m-w",
        event: "case.statuschange",
        username: KC_USERNAME,
        password: S.kcPass,
        eventObject: { id: "kc-777", modStamp: 1730000000, caseStatusId: 5 },
      }),
      headers: {},
      outcome: "forwarded",
      check: (state) => expect(JSON.stringify(state)).not.toContain(S.providerSideSecret),
    });
    weird.push({
      name: "Truework: path traversal in order_id",
      source: w.tw,
      caseId: "../../admin",
      raw: JSON.stringify({ hook: { event: "order.completed", triggered_at: "2026-11-01T10:00:00Z" }, data: { order_id: "../../admin" } }),
      headers: { "x-truework-token": S.twToken },
      outcome: "failed",
    });
    weird.push({
      name: "Case Keeper: a forged event for a case the provider does not know",
      source: w.ck,
      caseId: "forged-1",
      raw: JSON.stringify({ key: "verification.completed", data: { id: "forged-1", status: "completed" } }),
      headers: {},
      outcome: "failed",
    });
    weird.push({
      name: "Case Keeper: a text/plain content type",
      source: w.ck,
      caseId: "plain-1",
      raw: JSON.stringify({ key: "verification.updated", data: { id: "plain-1" } }),
      headers: { "content-type": "text/plain" },
      outcome: "failed",
    });

    for (const x of weird) {
      const res = await post(x.source.id, x.raw, x.headers);
      if (res.status >= 500) figures.fiveXX++;
      expect(res.status, `${x.name}: ${res.text}`).toBe(200);
      figures.ingestAccepted++;
      const view = await eventually(
        async () => {
          const v = (await api.get(`/v1/cases/${x.source.id}/${encodeURIComponent(x.caseId)}`)).body;
          const r = v.receipts?.find((r: { id: string }) => r.id === res.body.id);
          return r && r.outcome !== "pending" && v;
        },
        { timeout: 15_000, message: `${x.name}: processed` },
      );
      const receipt = view.receipts.find((r: { id: string }) => r.id === res.body.id);
      expect(receipt.outcome, `${x.name}: ${receipt.detail}`).toBe(x.outcome);
      if (x.outcome === "forwarded") {
        const event = view.events.find((e: { id: string }) => e.id === receipt.event_id);
        const delivered = await eventually(() => forwarded.find((f) => f.includes(`"event_id":"${receipt.event_id}"`)), { message: `${x.name}: delivered` });
        // What was stored, what was sent and what was received are the same document.
        expect(JSON.parse(delivered), x.name).toEqual(event.payload);
        x.check?.(event.payload.data.state);
        expect(
          view.deliveries.map((d: { status: string }) => d.status),
          x.name,
        ).toEqual(["succeeded"]);
      }
    }
    // Nothing was polluted along the way.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).x).toBeUndefined();
    const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'").first();
    expect(tables).not.toBeNull();
  });
});

// ---- admin API ------------------------------------------------------------------------------------------

type Op = { method: string; path: string; hasBody: boolean };
async function operations(): Promise<Op[]> {
  const doc = (await api.get("/v1/openapi.json")).body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, hasBody: op.requestBody !== undefined })),
  );
}
const fill = (path: string, ids: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? "x");

let aFailedReceiptId: Promise<string> | undefined;
/** One receipt of customer A that could not be processed (dead-lettered), so it can be replayed. */
function aFailedReceipt() {
  aFailedReceiptId ??= (async () => {
    const id = "rcv_01JD3ZQ7W8X9Y0A1B2C3D4E5F6";
    const body = {
      kind: "receipt",
      id,
      source_id: w.kd.id,
      customer_id: w.a.id,
      case_id: "tenant-failed",
      dedupe_key: "k-tenant",
      subject: "case",
      provider_event_id: null,
      event_type: "applicant.created",
      version: null,
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: "{}",
    };
    const batch = createMessageBatch("caserelay-inbox-dlq", [{ id: "dl", timestamp: new Date(), attempts: 1, body }]);
    await worker.queue(batch as MessageBatch<never>, env, createExecutionContext());
    return id;
  })();
  return aFailedReceiptId;
}

/** Customer A's real ids for each path, so that validation is reached and isolation is tested on real rows. */
async function idsOfA(op: Op): Promise<Record<string, string>> {
  const kind = op.path.split("/")[2];
  const ids: Record<string, string> = { source_id: w.kd.id, case_id: "tenant-case" };
  const { eventId, deliveryId } = await aEvent();
  ids.id =
    {
      customers: w.a.id,
      sources: w.kd.id,
      endpoints: w.ep.id,
      events: eventId,
      deliveries: deliveryId,
      receipts: await aFailedReceipt(),
      issues: w.aIssue,
      "alert-endpoints": w.aAlerts.id,
    }[kind!] ?? "x";
  return ids;
}

let aEventIds: Promise<{ eventId: string; deliveryId: string }> | undefined;
/** One event of customer A, with a delivery. */
function aEvent() {
  aEventIds ??= (async () => {
    const raw = `{"id":"tenant-e","type":"applicant.created","dateOccurred":"2026-11-01T10:00:00+00:00","data":{"id":"tenant-case"}}`;
    expect((await post(w.kd.id, raw, signKeldair(S.kdSecret, raw))).status).toBe(200);
    return eventually(
      async () => {
        const v = (await api.get(`/v1/cases/${w.kd.id}/tenant-case`)).body;
        const d = v.deliveries?.[0];
        return d && d.status === "succeeded" && { eventId: v.events[0].id as string, deliveryId: d.id as string };
      },
      { message: "customer A's event delivered" },
    );
  })();
  return aEventIds;
}

describe("hostile admin API", () => {
  it("refuses hostile ids and bodies on every route of the OpenAPI document with a 4xx, changing nothing", { timeout: 60_000 }, async () => {
    await aEvent();
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const hostileIds = [
      "' OR '1'='1",
      "1; DROP TABLE customers; --",
      "../../../etc/passwd",
      "src_00000000000000000000000000",
      "\u0000",
      "x\r\nX-Injected: 1",
      "a".repeat(5000),
      "__proto__",
      "constructor",
      "%2e%2e%2f",
    ];
    let n = 0;
    for (const op of ops) {
      const real = await idsOfA(op);
      if (/\{\w+\}/.test(op.path)) {
        for (const bad of hostileIds) {
          for (const param of op.path.match(/\{(\w+)\}/g)!.map((p) => p.slice(1, -1))) {
            // A case id is free text: any string names a case, and an unknown one is an empty trail.
            if (param === "case_id") continue;
            const path = fill(op.path, { ...real, [param]: encodeURIComponent(bad) });
            const body = op.method === "GET" || op.method === "DELETE" ? undefined : {};
            await refused(`${op.method} ${op.path} with ${param}=${JSON.stringify(bad.slice(0, 40))}`, () => request(op.method, path, { body }));
            n++;
          }
        }
      }
      if (op.method !== "POST" && op.method !== "PATCH") continue;
      const path = fill(op.path, real);
      const send =
        (raw: BodyInit, type = "application/json") =>
        () =>
          request(op.method, path, { raw, headers: { "content-type": type } });
      const variants: [string, () => Promise<ApiResponse>, { status?: number; code?: string }?][] = [
        ["a body over 64 KB", send(JSON.stringify({ name: "x".repeat(70_000) })), { status: 413, code: "payload_too_large" }],
        ["text/plain", send('{"name":"x"}', "text/plain"), { status: 415, code: "unsupported_media_type" }],
        ["a form", send("name=x", "application/x-www-form-urlencoded"), { status: 415, code: "unsupported_media_type" }],
        ["XML", send("<name>x</name>", "application/xml"), { status: 415, code: "unsupported_media_type" }],
      ];
      if (op.hasBody) {
        variants.push(
          ["truncated JSON", send('{"name":'), { status: 400, code: "invalid_json" }],
          ["invalid UTF-8", send(new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), { status: 400, code: "invalid_json" }],
          ["a JSON array", send("[]")],
          ["null", send("null")],
          [
            "numbers where strings belong",
            send(JSON.stringify({ name: 1, url: 2, customer_id: 3, provider: 4, config: 5, since: 6, endpoint_id: 7, status: 8, description: 9, filter: 10 })),
          ],
          ["a __proto__ key", send('{"__proto__":{"status":"active","name":"x"}}')],
          ["a constructor key", send('{"constructor":{"prototype":{"name":"x"}}}')],
          ["a prototype key", send('{"prototype":{"name":"x"}}')],
          ["objects nested 5000 deep", send(`{"name":${nestedObject(5000)},"config":${nestedObject(5000)}}`)],
          [
            "SQL for every field",
            send(
              JSON.stringify({
                name: "'); DELETE FROM customers; --",
                customer_id: "' OR 1=1 --",
                provider: "karmacheck' --",
                url: "https://x.example.com/'--",
                since: "1' OR '1'='1",
                endpoint_id: "ep_' OR 1=1",
              }),
            ),
          ],
        );
        // Empty bodies: required on every route but replay (whose body is optional).
        if (!op.path.endsWith("/replay")) variants.push(["an empty body", send("")]);
      }
      for (const [name, run, expected] of variants) {
        await refused(`${op.method} ${op.path}: ${name}`, run, expected);
        n++;
      }
    }
    figures.adminRejected += n;
  });

  it("refuses admin values that would become HTTP headers with CR/LF, and unknown providers", async () => {
    const config = {
      refetchHeaderValue: [
        "keldair",
        { verify: { secret: S.kdSecret }, refetch: { url: "https://api.example.com/{case_id}", headers: { "x-api-key": "k\r\nX-Injected: 1" } } },
      ],
      refetchHeaderName: [
        "keldair",
        { verify: { secret: S.kdSecret }, refetch: { url: "https://api.example.com/{case_id}", headers: { "x-api-key\r\nX-Injected": "k" } } },
      ],
      hmacHeaderName: ["standard", { verify: { scheme: "hmac", header: "x-sig\r\nX-Injected: 1", secret: "s" }, fields: { case_id: "/id" } }],
      hmacTimestampHeader: [
        "standard",
        { verify: { scheme: "hmac", header: "x-sig", timestamp_header: "x-ts\nX-Injected", secret: "s" }, fields: { case_id: "/id" } },
      ],
      tokenHeaderName: ["keldair", { verify: { scheme: "token", header: "x-token\r\n", tokens: ["t"] } }],
      caseKeeperTokenHeader: [
        "casekeeper",
        { token: "t", token_header: "x-ck\r\nX-Injected", api: { base_url: "https://api.example.com", client_id: "c", client_secret: "s" } },
      ],
      trueworkApiKey: ["truework", { tokens: ["t"], api: { base_url: "https://api.example.com", api_key: "key\r\nX-Injected: 1" } }],
      unknownProvider: ["evilcorp", { x: 1 }],
      protoProvider: ["__proto__", { x: 1 }],
      constructorProvider: ["constructor", { x: 1 }],
      configConstructorKey: [
        "keldair",
        { verify: { secret: S.kdSecret }, constructor: { prototype: { refetch: { url: "https://169.254.169.254/{case_id}" } } } },
      ],
    } as const;
    for (const [name, [provider, cfg]] of Object.entries(config)) {
      await refused(`POST /v1/sources: ${name}`, () => api.post("/v1/sources", { customer_id: w.a.id, provider, name: "hostile", config: cfg }), {
        status: 422,
        code: "validation_failed",
      });
      figures.adminRejected++;
    }
    // The same values through PATCH (a JSON merge patch of the stored config).
    await refused(
      "PATCH /v1/sources: refetch header with CR/LF",
      () =>
        api.patch(`/v1/sources/${w.kd.id}`, {
          config: { refetch: { url: "https://api.example.com/{case_id}", headers: { "x-api-key": "k\nX-Injected: 1" } } },
        }),
      { status: 422 },
    );
    await refused(
      "PATCH /v1/sources: config nested 10000 deep",
      () => api.patch(`/v1/sources/${w.kd.id}`, { config: JSON.parse(`{"verify":${nestedObject(10_000)}}`) }),
      { status: 422 },
    );
    figures.adminRejected += 2;
    // Endpoint URLs with CR/LF: the URL parser drops them (WHATWG), so nothing can be injected;
    // what is stored is a plain https URL.
    const ep = await api.post("/v1/endpoints", { customer_id: w.a.id, url: "https://hooks.hostile.test/crlf\r\nX-Injected: 1" });
    expect(ep.status === 422 || (ep.status === 201 && !/[\r\n]/.test(ep.body.url)), ep.text).toBe(true);
    if (ep.status === 201) await api.delete(`/v1/endpoints/${ep.body.id}`);
  });
});

// ---- deployed: auth everywhere, outbound URL rules -------------------------------------------------------

describe("deployed (ENVIRONMENT=production)", () => {
  it("asks for the admin token on every route but /in/* and /healthz, and has no /bench/*", async () => {
    for (const op of await operations()) {
      const path = fill(op.path, { id: "x", source_id: w.kd.id, case_id: "c" });
      for (const token of [null, "", "Bearer", `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), "crk_not-a-key"]) {
        const res = await prodRequest(op.method, path, { token, body: op.method === "GET" || op.method === "DELETE" ? undefined : {} });
        expect(res.status, `${op.method} ${path} with ${JSON.stringify(token)}`).toBe(401);
        expect(res.body.error.code).toBe("unauthorized");
        figures.productionChecks++;
      }
    }
    // Unknown /v1 paths answer 401 too: their existence is not revealed without a token.
    expect((await prodRequest("GET", "/v1/nothing-here", { token: null })).status).toBe(401);
    expect((await prodRequest("GET", "/v1/openapi.json", { token: null })).status).toBe(401);
    expect((await prodRequest("GET", "/healthz", { token: null })).status).toBe(200);
    for (const [method, path] of [
      ["POST", "/bench/noop"],
      ["GET", "/bench/metrics"],
      ["POST", "/bench/metrics/reset"],
    ]) {
      expect((await prodRequest(method!, path!, { token: null })).status, path).toBe(404);
      expect((await prodRequest(method!, path!)).status, `${path} even with the admin token`).toBe(404);
    }
    // Ingest takes no bearer token: the provider's own authentication decides.
    const raw = '{"id":"prod-1","type":"applicant.created","data":{"id":"prod-case"}}';
    const res = await worker.fetch!(
      new Request(`http://relay.test/in/${w.kd2.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signKeldair(S.kd2Secret, raw) },
        body: raw,
      }) as Request<unknown, IncomingRequestCfProperties>,
      production,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    await eventually(async () => (await api.get(`/v1/cases/${w.kd2.id}/prod-case`)).body.deliveries?.[0]?.status === "succeeded", {
      message: "the production webhook delivered",
    });
    // And indexed: the consumer's control-plane writes (the source's last receipt among them) come
    // after the case answers; the next test compares D1 before and after, so none may still be due.
    await eventually(async () => (await api.get(`/v1/sources/${w.kd2.id}`)).body.last_receipt_at !== null, {
      message: "the production webhook indexed",
    });
    figures.productionChecks += 9;
  });

  it("refuses endpoint URLs and provider API bases that are not public https", async () => {
    const bad = [
      "http://hooks.example.com/x",
      "ftp://hooks.example.com/x",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "https://user:pass@hooks.example.com/x",
      "https://localhost/x",
      "https://localhost./x",
      "https://LOCALHOST/x",
      "https://api.localhost/x",
      "https://127.0.0.1/x",
      "https://127.1/x",
      "https://0177.0.0.1/x",
      "https://2130706433/x",
      "https://0x7f000001/x",
      "https://0.0.0.0/x",
      "https://10.1.2.3/x",
      "https://172.16.0.1/x",
      "https://192.168.1.1/x",
      "https://100.64.0.1/x",
      "https://169.254.169.254/latest/meta-data/",
      "https://169.254.169.254./latest/meta-data/",
      "https://[::1]/x",
      "https://[::]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://[::ffff:a9fe:a9fe]/x",
      "https://[fd00::1]/x",
      "https://[fe80::1]/x",
      "https://[ff02::1]/x",
      "https://metadata.google.internal/x",
      "https://metadata.google.internal./x",
      "https://printer.local/x",
      "https://nas.lan/x",
      "https://router.home.arpa/x",
      "https://intranet/x",
      "https://intranet./x",
    ];
    const before = await dump();
    for (const url of bad) {
      const checks: [string, string, unknown][] = [
        ["POST", "/v1/endpoints", { customer_id: w.a.id, url }],
        ["PATCH", `/v1/endpoints/${w.ep.id}`, { url }],
        [
          "POST",
          "/v1/sources",
          { customer_id: w.a.id, provider: "karmacheck", name: "p", config: { api: { base_url: url, api_key: "k", client_access_token: "t" } } },
        ],
        [
          "POST",
          "/v1/sources",
          {
            customer_id: w.a.id,
            provider: "casekeeper",
            name: "p",
            config: { api: { base_url: "https://api.example.com", token_url: url, client_id: "c", client_secret: "s" } },
          },
        ],
        [
          "POST",
          "/v1/sources",
          {
            customer_id: w.a.id,
            provider: "keldair",
            name: "p",
            config: { verify: { secret: S.kdSecret }, refetch: { url: `${url.replace(/\/$/, "")}/{case_id}` } },
          },
        ],
        ["PATCH", `/v1/sources/${w.tw.id}`, { config: { api: { base_url: url } } }],
      ];
      for (const [method, path, body] of checks) {
        const res = await prodRequest(method, path, { body });
        if (res.status >= 500) figures.fiveXX++;
        expect.soft(res.status, `${method} ${path} with ${url}: ${res.text.slice(0, 200)}`).toBe(422);
        figures.productionChecks++;
      }
    }
    expect(await dump(), "nothing stored").toBe(before);
    // Public https is accepted (the control), and local http only outside production.
    expect((await prodRequest("POST", "/v1/endpoints", { body: { customer_id: w.b.id, url: "https://hooks.example.com/ok" } })).status).toBe(201);
    expect((await api.post("/v1/endpoints", { customer_id: w.b.id, url: "http://localhost:9999/hook" })).status).toBe(201);
  });
});

// ---- secrets -------------------------------------------------------------------------------------------------

describe("secrets", () => {
  it("are encrypted at rest: config_enc, secret_enc and token_cache_enc hold ciphertext that opens to the secrets", async () => {
    // A KarmaCheck webhook so that a provider token is cached.
    const res = await post(
      w.kc.id,
      JSON.stringify({
        messageId: "m-s",
        event: "case.statuschange",
        username: KC_USERNAME,
        password: S.kcPass,
        eventObject: { id: "kc-secret", modStamp: "2026-11-01T10:00:00Z" },
      }),
    );
    expect(res.status).toBe(200);
    await eventually(async () => ((await api.get(`/v1/cases/${w.kc.id}/kc-secret`)).body.events?.length ?? 0) === 1, { message: "kc event" });
    const sealed = /^v1\.[A-Za-z0-9+/]+=*\.[A-Za-z0-9+/]+=*$/;
    const kc = await env.DB.prepare("SELECT config_enc, token_cache_enc FROM sources WHERE id = ?")
      .bind(w.kc.id)
      .first<{ config_enc: string; token_cache_enc: string }>();
    expect(kc!.config_enc).toMatch(sealed);
    expect(kc!.token_cache_enc).toMatch(sealed);
    expect(await decryptJson(ENCRYPTION_KEY, kc!.config_enc)).toMatchObject({ password: S.kcPass, api: { api_key: S.kcKey, client_access_token: S.kcCat } });
    expect(JSON.stringify(await decryptJson(ENCRYPTION_KEY, kc!.token_cache_enc))).toContain(S.kcJwt);
    // Same plaintext, different ciphertext (a fresh IV each time).
    const again = await createSource(w.b.id, "karmacheck", {
      username: KC_USERNAME,
      password: S.kcPass,
      api: { base_url: "https://kc.hostile.test", api_key: S.kcKey, client_access_token: S.kcCat },
    });
    const twin = await env.DB.prepare("SELECT config_enc FROM sources WHERE id = ?").bind(again.id).first<{ config_enc: string }>();
    expect(twin!.config_enc).not.toBe(kc!.config_enc);
    await api.delete(`/v1/sources/${again.id}`);
    const ep = await env.DB.prepare("SELECT secret_enc FROM endpoints WHERE id = ?").bind(w.ep.id).first<{ secret_enc: string }>();
    expect(ep!.secret_enc).toMatch(sealed);
    expect(await decryptJson(ENCRYPTION_KEY, ep!.secret_enc)).toBe(w.ep.secret);
    // A wrong key does not open it (AES-GCM authenticates).
    await expect(decryptJson(bytesToBase64(new Uint8Array(32).fill(7)), ep!.secret_enc)).rejects.toThrow();
    const rotated = await api.post(`/v1/endpoints/${w.ep.id}/rotate-secret`);
    dynamicSecrets.push(rotated.body.secret);
    const after = await env.DB.prepare("SELECT secret_enc, previous_secret_enc FROM endpoints WHERE id = ?")
      .bind(w.ep.id)
      .first<{ secret_enc: string; previous_secret_enc: string }>();
    expect(after!.previous_secret_enc).toMatch(sealed);
    expect(await decryptJson(ENCRYPTION_KEY, after!.previous_secret_enc)).toBe(w.ep.secret);
    // Customer API keys: only their SHA-256.
    const customer = await env.DB.prepare("SELECT * FROM customers WHERE id = ?").bind(w.a.id).first<Record<string, string>>();
    expect(customer!.api_key_hash).toBe(await sha256Hex(w.a.api_key));
  });

  it("are never in D1 in the clear, in API reads, in forwarded bodies or in logs", async () => {
    // Every read the API offers, with both kinds of token.
    for (const token of [ADMIN_TOKEN, w.a.api_key]) {
      for (const path of [
        "/v1/customers",
        `/v1/customers/${w.a.id}`,
        "/v1/sources",
        `/v1/sources/${w.kc.id}`,
        `/v1/sources/${w.tw.id}`,
        `/v1/sources/${w.ck.id}`,
        `/v1/sources/${w.kd.id}`,
        `/v1/sources/${w.std.id}`,
        "/v1/endpoints",
        `/v1/endpoints/${w.ep.id}`,
        `/v1/events?customer_id=${w.a.id}&limit=100`,
        `/v1/cases/${w.kc.id}/kc-secret`,
        `/v1/cases/${w.kc.id}/kc-777`,
        `/v1/cases/${w.kd.id}/creds-case`,
      ]) {
        const res = await request("GET", path, { token });
        expect(res.status, path).toBe(200);
        reads.push(res.text);
      }
    }
    const source = (await api.get(`/v1/sources/${w.kc.id}`)).body;
    expect(source.config).toEqual({
      username: KC_USERNAME,
      password: "[redacted]",
      api: { base_url: "https://kc.hostile.test", api_key: "[redacted]", client_access_token: "[redacted]" },
    });
    const everything = { d1: await dump("all"), reads: reads.join("\n"), forwarded: forwarded.join("\n"), logs: logs.join("\n") };
    expect(forwarded.length).toBeGreaterThan(5);
    expect(logs.length).toBeGreaterThan(50);
    for (const secret of secrets()) {
      for (const [where, text] of Object.entries(everything))
        expect.soft(text.includes(secret), `${where} contains the secret ${secret.slice(0, 12)}...`).toBe(false);
    }
    // What case objects keep: no secret, and the webhook username stripped with the password.
    const kept: string[] = [];
    for (const [sourceId, caseId] of [
      [w.kc.id, "kc-secret"],
      [w.kc.id, "kc-777"],
      [w.kd.id, "creds-case"],
      [w.kd.id, "tenant-case"],
    ] as const) {
      kept.push(JSON.stringify(await storedRows(sourceId, caseId)));
    }
    for (const secret of secrets()) expect.soft(kept.join("\n").includes(secret), `a case object keeps the secret ${secret.slice(0, 12)}...`).toBe(false);
    expect(kept[0]).toContain("kc-secret");
    expect(kept.slice(0, 2).join("")).not.toContain(KC_USERNAME);
    expect(everything.forwarded).not.toContain(KC_USERNAME);
  });

  it("are compared in constant time: both sides hashed to 32 bytes, every configured secret compared", async () => {
    const spy = vi.spyOn(crypto.subtle, "timingSafeEqual");
    const check = async (what: string, run: () => Promise<unknown>, comparisons: number) => {
      spy.mockClear();
      await run();
      expect(spy.mock.calls.length, what).toBe(comparisons);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Uint8Array).byteLength, what).toBe(32);
        expect((b as Uint8Array).byteLength, what).toBe(32);
      }
    };
    const req = (headers: Record<string, string>, rawBody = '{"a":1}') => ({
      headers: new Headers(headers),
      rawBody,
      json: JSON.parse(rawBody),
      now: Math.floor(Date.now() / 1000),
    });
    const two = ["first-secret-of-some-length", "2nd"];
    await check("token scheme, a short guess", () => verifyWith(req({ "x-t": "g" }), { scheme: "token", header: "x-t", tokens: two }), 2);
    await check("token scheme, a long guess", () => verifyWith(req({ "x-t": "g".repeat(500) }), { scheme: "token", header: "x-t", tokens: two }), 2);
    await check("basic scheme", () => verifyWith(req({ authorization: `Basic ${btoa("u:p")}` }), { scheme: "basic", username: "user", password: two }), 3);
    await check("hmac scheme", () => verifyWith(req({ "x-s": "00" }), { scheme: "hmac", header: "x-s", algorithm: "sha256", encoding: "hex", secret: two }), 2);
    const ts = String(Math.floor(Date.now() / 1000));
    await check(
      "standard webhooks, three signatures against two secrets",
      () =>
        verifyWith(req({ "webhook-id": "m", "webhook-timestamp": ts, "webhook-signature": "v1,a v1,b v1,c" }), {
          scheme: "standard_webhooks",
          secret: [S.kdSecret, S.kd2Secret],
        }),
      6,
    );
    await check(
      "KarmaCheck body credentials",
      () => karmacheck.verify(req({}, JSON.stringify({ username: "x", password: "y" })), { username: KC_USERNAME, password: [S.kcPass] } as never),
      2,
    );
    await check("Truework token", () => truework.verify(req({ "x-truework-token": "guess" }), { tokens: [S.twToken, S.tw2Token] } as never), 2);
    // The admin token (a customer key is looked up by its SHA-256, never compared in the clear).
    const c = { var: { config: { adminToken: ADMIN_TOKEN }, db: null } } as never;
    await check("admin bearer token", () => resolvePrincipal(c, "not-the-admin-token"), 1);
    spy.mockRestore();
    // And through HTTP, a wrong admin token of any length is refused the same way.
    for (const token of ["a", ADMIN_TOKEN.slice(0, -1), `${ADMIN_TOKEN}a`, "x".repeat(2000)]) expect((await api.get("/v1/customers", token)).status).toBe(401);
  });
});

// ---- properties ----------------------------------------------------------------------------------------------

describe("properties (fast-check)", () => {
  const runs = (numRuns: number) => ({ seed: FC_SEED, numRuns });
  /** JSON values as a provider might send them, keys that matter in JS included. */
  const key = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "password",
      "api_key",
      "Authorization",
      "secret",
      "id",
      "url",
      "token",
      "X-Api-Key",
      "sessionToken",
      "credentials",
      "Bearer",
      "tokens",
    ),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("array"), tie("object")),
    // JSON has no -0 (it parses "-0" but writes 0): a provider cannot send one that survives a round trip.
    leaf: fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
      fc.boolean(),
      fc.constant(null),
      fc.webUrl({ withQueryParameters: true }),
    ),
    array: fc.array(tie("node"), { maxLength: 4 }),
    object: fc
      .array(fc.tuple(key, tie("node")), { maxLength: 5 })
      .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`)),
  })).node;
  const CREDENTIAL = {
    test: (k: string) =>
      /^(password|passwd|pass|passphrase|(client|api|signing|webhook)?secret|secret(access)?key|private_?key|x?api_?key|credentials?|(access|refresh|id|auth|xauth|session|api|client_?access|bearer)?_?token|bearer|(proxy)?authorization)$/i.test(
        k.replace(/[-_.\s]/g, ""),
      ),
  };
  const keysOf = (v: unknown, out: string[] = []): string[] => {
    if (Array.isArray(v)) for (const x of v) keysOf(x, out);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        out.push(k);
        keysOf(x, out);
      }
    }
    return out;
  };
  const keptKeys = (v: unknown, out: string[] = []): string[] => {
    if (Array.isArray(v)) for (const x of v) keptKeys(x, out);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (CREDENTIAL.test(k)) continue;
        out.push(k);
        keptKeys(x, out);
      }
    }
    return out;
  };
  /** The same value with every object's keys in reverse order. */
  const reordered = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reordered)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, reordered(x)]),
          )
        : v;

  it("redaction keeps every key but credentials (__proto__ included), at any depth, and is idempotent", () => {
    fc.assert(
      fc.property(value, (v) => {
        const r = redactCredentials(v);
        const text = JSON.stringify(r);
        expect(JSON.parse(text)).toEqual(r);
        // Exactly the keys that are not credentials (nor inside one), in order: "__proto__" included.
        expect(keysOf(r)).toEqual(keptKeys(v));
        expect(redactCredentials(r)).toEqual(r);
        figures.propertyRuns++;
      }),
      runs(300),
    );
  });

  it("the forwarded state's fingerprint ignores key order and never throws; expired-link removal keeps the shape", async () => {
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        const state = redactCredentials(v);
        expect(await eventFingerprint(state, "case.updated", null)).toBe(await eventFingerprint(reordered(state), "case.updated", null));
        const now = Date.now();
        const sent = withoutExpiredLinks({ data: { state } }, now);
        expect(keysOf(sent)).toEqual(keysOf({ data: { state } }));
        figures.propertyRuns++;
      }),
      runs(200),
    );
  });

  it("the nesting check agrees with a recursive depth count, strings with brackets included", () => {
    const depth = (v: unknown): number =>
      Array.isArray(v) ? 1 + Math.max(0, ...v.map(depth)) : v && typeof v === "object" ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;
    const texts = fc.oneof(
      value.map((v) => JSON.stringify(v)),
      fc.constantFrom('{"a":"[[[{{{"}', '["\\"]]]"]', '"\\\\"', "[[[[[[[[]]]]]]]]"),
    );
    fc.assert(
      fc.property(texts, fc.integer({ min: 0, max: 12 }), (text, limit) => {
        expect(jsonNestingExceeds(text, limit), text.slice(0, 80)).toBe(depth(JSON.parse(text)) > limit);
        figures.propertyRuns++;
      }),
      runs(400),
    );
  });

  it("ingest answers any body with 200 (one receipt queued) or a 4xx (nothing queued), never a 5xx", { timeout: 60_000 }, async () => {
    // Sources of their own, so that the wait at the end counts only what this test sent.
    const kdP = await createSource(w.a.id, "keldair", { verify: { secret: S.kdSecret } });
    const ckP = await createSource(w.a.id, "casekeeper", { api: { base_url: "https://ck.hostile.test", client_id: "hostile", client_secret: S.ckSecret } });
    let accepted = 0;
    const kdBody = fc.record(
      {
        id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()),
        type: fc.oneof(fc.constantFrom("applicant.created", "applicant.hired"), fc.string()),
        dateOccurred: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
          fc.constant(null),
        ),
        data: value.map((x) => ({ id: "prop-case", x })),
      },
      { requiredKeys: [] },
    );
    const ckBody = fc.record(
      {
        key: fc.oneof(fc.constantFrom("verification.updated", "verification.frontIdCardResult.confirmed"), fc.string()),
        data: fc.oneof(value, fc.record({ id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()), x: value }, { requiredKeys: ["id"] })),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.string().map((s) => ({ raw: s, sign: false })),
      fc.uint8Array({ maxLength: 64 }).map((b) => ({ raw: b, sign: false })),
      fc.jsonValue().map((j) => ({ raw: JSON.stringify(j), sign: true })),
      kdBody.map((j) => ({ raw: JSON.stringify(j), sign: true })),
      ckBody.map((j) => ({ raw: JSON.stringify(j), sign: true })),
      fc.integer({ min: 1, max: 200 }).map((d) => ({ raw: `{"key":"verification.updated","data":{"id":"n","x":${nested(d)}}}`, sign: true })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("kd", "ck") as fc.Arbitrary<"kd" | "ck">, body, async (target, { raw, sign }) => {
        const sends = inboxSends.mock.calls.length;
        const headers = target === "kd" && sign && typeof raw === "string" ? signKeldair(S.kdSecret, raw) : {};
        const res = await post(target === "kd" ? kdP.id : ckP.id, raw as BodyInit, headers);
        if (res.status >= 500) figures.fiveXX++;
        expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
        if (res.status === 200) {
          accepted++;
          expect(inboxSends.mock.calls.length).toBe(sends + 1);
        } else {
          expect(CODES).toContain(res.body.error.code);
          expect(inboxSends.mock.calls.length).toBe(sends);
        }
        figures.propertyRuns++;
      }),
      runs(150),
    );
    // Everything accepted is processed (forwarded, or failed: the fake Case Keeper knows no case) or counted as a duplicate.
    const cases = new Set(
      inboxSends.mock.calls
        .map((c) => c[0] as { source_id: string; case_id: string })
        .filter((m) => m.source_id === kdP.id || m.source_id === ckP.id)
        .map((m) => JSON.stringify([m.source_id, m.case_id])),
    );
    await eventually(
      async () => {
        let settled = 0;
        for (const key of cases) {
          const [sourceId, caseId] = JSON.parse(key) as [string, string];
          for (const r of await storedRows(sourceId, caseId)) settled += (r.outcome === "pending" ? 0 : 1) + r.duplicate_count;
        }
        return settled === accepted;
      },
      { timeout: 20_000, message: "every accepted body processed" },
    );
    figures.ingestAccepted += accepted;
  });
});
