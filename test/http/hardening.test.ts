/**
 * Hardening (issue #14): what a hostile or careless caller could still do. Each attempt gets its 4xx
 * with a clear code and message, and nothing is stored, queued or sent to a refused address. The
 * console's login throttle and server-side sessions are in console-hardening.test.ts; the
 * provider HTTP client's own checks in test/pipeline/provider-http.test.ts.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import worker from "../../src/index";
import { createDb } from "../../src/db/client";
import { sources } from "../../src/db/schema";
import { getConfig } from "../../src/lib/config";
import { encryptJson, sha256Hex } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { isCredentialKey, redactCredentials } from "../../src/pipeline/redact";
import { ForbiddenPatchKeyError, mergePatch } from "../../src/services/merge-patch";
import { ADMIN_TOKEN, api, BASE, request, type ApiResponse } from "../helpers/api";
import { storedReceipt } from "../helpers/cases";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { json, stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
let sends: MockInstance;
let warnings: string[];
beforeEach(() => {
  sends = vi.spyOn(env.INBOX, "send");
  net = stubNetwork();
  warnings = [];
  vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warnings.push(String(line)));
});
afterEach(() => {
  net.restore();
  vi.restoreAllMocks();
});

// ---- helpers ------------------------------------------------------------------------------------------

/** Everything stored for one customer: a refused request must leave it as it was. Other tests' background work does not touch it. */
async function customerRows(customerId: string): Promise<string> {
  const tables = ["sources", "endpoints", "events", "deliveries", "cases", "failed_receipts"];
  const results = await env.DB.batch([
    env.DB.prepare("SELECT * FROM customers WHERE id = ?").bind(customerId),
    ...tables.map((t) => env.DB.prepare(`SELECT * FROM ${t} WHERE customer_id = ? ORDER BY 1, 2`).bind(customerId)),
  ]);
  return JSON.stringify(results.map((r) => r.results));
}

/** Sends a request that must be refused: this status, code and message; nothing of the customer's stored or queued. */
async function refused(
  customerId: string,
  send: () => Promise<ApiResponse>,
  expected: { status: number; code: string; message: RegExp },
): Promise<ApiResponse> {
  const before = await customerRows(customerId);
  const queued = sends.mock.calls.length;
  const res = await send();
  expect(res.status, res.text).toBe(expected.status);
  expect(res.body?.error, res.text).toMatchObject({ code: expected.code, request_id: expect.stringMatching(/^req_/) });
  expect(res.body.error.message).toMatch(expected.message);
  expect(sends.mock.calls.length, "queued").toBe(queued);
  expect(await customerRows(customerId), "stored").toBe(before);
  return res;
}

/** Calls the Worker with some settings changed, as a deployment with other [vars] would run. */
function withVars(vars: Record<string, string>) {
  const patched = new Proxy(env, { get: (t, p) => (typeof p === "string" && p in vars ? vars[p] : Reflect.get(t, p)) });
  return async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const req = new Request(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const res = await worker.fetch!(req as Request<unknown, IncomingRequestCfProperties>, patched, createExecutionContext());
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers, text };
  };
}

/** A source as an earlier release saved it: written straight to D1, without today's validation. */
async function savedEarlier(customerId: string, provider: string, config: unknown): Promise<string> {
  const id = newId("src");
  const now = Date.now();
  await createDb(env.DB)
    .insert(sources)
    .values({
      id,
      customerId,
      provider,
      name: `saved earlier ${id}`,
      configEnc: await encryptJson(getConfig(env).encryptionKey, config),
      reconcileAfterSeconds: 21600,
      silenceAfterSeconds: 86400,
      createdAt: now,
      updatedAt: now,
    });
  return id;
}

const KD_SECRET = `whsec_${btoa("hardening-keldair-signing-key-0001")}`;

function keldairEvent(caseId: string, data: Record<string, unknown> = {}) {
  return { id: crypto.randomUUID(), type: "applicant.updated", version: "1", dateOccurred: new Date().toISOString(), data: { id: caseId, ...data } };
}

function postKeldair(sourceId: string, body: unknown, secret = KD_SECRET) {
  const raw = JSON.stringify(body);
  const id = `msg_${crypto.randomUUID()}`;
  const at = new Date();
  const headers = {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, raw),
  };
  return request("POST", `/in/${sourceId}`, { token: null, raw, headers });
}

const caseView = async (sourceId: string, caseId: string) => (await api.get(`/v1/cases/${sourceId}/${encodeURIComponent(caseId)}`)).body;

/** What became of the case's first receipt once the pipeline decided it: "outcome reason: detail". */
const receiptDetail = (sourceId: string, caseId: string) =>
  eventually(
    async () => {
      const r = (await caseView(sourceId, caseId)).receipts?.[0];
      return r && r.outcome !== "pending" ? `${r.outcome} ${r.reason}: ${r.detail}` : undefined;
    },
    { message: `a decided receipt for ${caseId}` },
  );

// ---- 5. redaction -------------------------------------------------------------------------------------

describe("redaction of credential names", () => {
  const NAMES = ["token", "auth_token", "session_token", "x-api-key", "secret_key", "api_secret", "credentials", "bearer"];

  it("strips every common credential name at any depth, whatever its case or separators, and keeps the rest", () => {
    const variants = [
      ...NAMES,
      "Token",
      "AUTH_TOKEN",
      "authToken",
      "Session-Token",
      "X-API-Key",
      "x_api_key",
      "SecretKey",
      "apiSecret",
      "Credentials",
      "Bearer",
      "access-token",
      "Proxy-Authorization",
    ];
    for (const name of variants) expect(isCredentialKey(name), name).toBe(true);
    for (const name of ["token_type", "tokenCount", "tokens_used", "session", "credential_type", "bearer_name", "id", "status"])
      expect(isCredentialKey(name), name).toBe(false);
    const deep = { a: [{ b: { c: Object.fromEntries(variants.map((v, i) => [v, `value-${i}`])) } }], token_type: "Bearer", status: "clear" };
    expect(redactCredentials(deep)).toEqual({ a: [{ b: { c: {} } }], token_type: "Bearer", status: "clear" });
  });

  it("keeps them out of the stored receipt and the forwarded body", async () => {
    const customer = await createCustomer();
    // Keldair without a refetch template: the body is what is forwarded (verified: false).
    const source = await createSource(customer.id, "keldair", { verify: { secret: KD_SECRET } });
    const endpoint = await createEndpoint(customer.id);
    const hook = receiver(net, endpoint.url, () => endpoint.secret);
    const values = NAMES.map((n) => `leak-${n}-${crypto.randomUUID()}`);
    const credentials = Object.fromEntries(NAMES.map((n, i) => [n, values[i]]));
    const body = keldairEvent("app-redact", {
      reviewer: { name: "Lee", ...credentials },
      history: [{ step: "screen", Credentials: { user: "x", pass: values[0] } }],
      Session_Token: values[2],
    });
    const res = await postKeldair(source.id, body);
    expect(res.status, res.text).toBe(200);
    await eventually(() => hook.got.length === 1, { message: "the forwarded event" });
    const stored = await storedReceipt(source.id, "app-redact", res.body.id);
    for (const text of [hook.got[0]!.raw, stored!.body!, JSON.stringify(sends.mock.calls.at(-1)![0])]) {
      for (const v of values) expect(text).not.toContain(v);
    }
    expect(hook.got[0]!.body.data.state).toMatchObject({ data: { id: "app-redact", reviewer: { name: "Lee" }, history: [{ step: "screen" }] } });
  });
});

// ---- 9. small leaks -----------------------------------------------------------------------------------

describe("JSON merge patches with prototype keys", () => {
  const patchRaw = (id: string, raw: string) => request("PATCH", `/v1/sources/${id}`, { raw, headers: { "content-type": "application/json" } });

  it.each([
    ["__proto__ at the top of the config", '{"config":{"__proto__":{"refetch":{"url":"https://169.254.169.254/{case_id}"}}}}', "config.__proto__"],
    ["constructor.prototype inside verify", '{"config":{"verify":{"constructor":{"prototype":{"secret":"x"}}}}}', "config.verify.constructor"],
    ["prototype in an array's object", '{"config":{"verify":{"secret":[{"prototype":1}]}}}', "config.verify.secret.0.prototype"],
    ["__proto__ beside a valid name change", '{"name":"renamed","config":{"__proto__":{}}}', "config.__proto__"],
  ])("refuses %s with 422, changing nothing", async (_name, raw, path) => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "keldair", { verify: { secret: KD_SECRET } });
    const res = await refused(customer.id, () => patchRaw(source.id, raw), {
      status: 422,
      code: "validation_failed",
      message: /is not allowed in a merge patch/,
    });
    expect(res.body.error.details).toEqual([{ path, message: expect.stringContaining("is not allowed in a merge patch") }]);
    expect(({} as Record<string, unknown>).secret).toBeUndefined();
  });

  it.each([
    [
      "__proto__ beside a valid secret",
      (c: string) =>
        `{"customer_id":"${c}","provider":"keldair","name":"x","config":{"verify":{"secret":"${KD_SECRET}"},"__proto__":{"refetch":{"url":"https://169.254.169.254/{case_id}"}}}}`,
    ],
    [
      "constructor inside refetch",
      (c: string) =>
        `{"customer_id":"${c}","provider":"keldair","name":"x","config":{"verify":{"secret":"${KD_SECRET}"},"refetch":{"url":"https://api.example.com/{case_id}","constructor":{}}}}`,
    ],
  ])("refuses a new source with %s, storing nothing", async (_name, body) => {
    const customer = await createCustomer();
    const res = await refused(customer.id, () => request("POST", "/v1/sources", { raw: body(customer.id), headers: { "content-type": "application/json" } }), {
      status: 422,
      code: "validation_failed",
      message: /not allowed|Unrecognized key/,
    });
    expect(JSON.stringify(res.body.error.details)).toMatch(/__proto__|constructor/);
  });

  it("mergePatch itself refuses them, leaving Object.prototype alone", () => {
    expect(() => mergePatch({ a: 1 }, JSON.parse('{"b":{"__proto__":{"polluted":true}}}'))).toThrow(ForbiddenPatchKeyError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(mergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } })).toEqual({ a: 1, b: { d: 3 } });
  });
});

describe("body_sha256", () => {
  it("hashes the body as stored, credentials stripped, never the raw bytes that carried them", async () => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "karmacheck", { username: "kc-hooks", password: "hardening-kc-password" });
    const raw = JSON.stringify({
      ...kcCaseEvent("case-sha", "2026-01-01T00:00:00.000Z", "Pending", null),
      username: "kc-hooks",
      password: "hardening-kc-password",
    });
    const res = await request("POST", `/in/${source.id}`, { token: null, raw, headers: { "content-type": "application/json" } });
    expect(res.status, res.text).toBe(200);
    const message = sends.mock.calls.at(-1)![0] as { body: string; body_sha256: string };
    expect(message.body).not.toContain("hardening-kc-password");
    expect(message.body_sha256).toBe(await sha256Hex(message.body));
    expect(message.body_sha256).not.toBe(await sha256Hex(raw));
    const row = await eventually(() => storedReceipt(source.id, "case-sha", res.body.id), { message: "the receipt in its case" });
    expect(row.body_sha256).toBe(await sha256Hex(row.body!));
  });
});

// ---- 4. weak verification settings --------------------------------------------------------------------

describe("weak verification settings", () => {
  const fields = { case_id: "/case/id" };
  const sw = (bytes: number) => `whsec_${btoa("k".repeat(bytes))}`;
  const chars = (n: number) => "s".repeat(n);

  it.each([
    [
      "an hmac payload_template without {body}",
      "standard",
      { verify: { scheme: "hmac", header: "x-sig", secret: chars(32), timestamp_header: "x-ts", payload_template: "{timestamp}" }, fields },
      "config.verify.payload_template",
      /must contain \{body\}/,
    ],
    [
      "a one-byte Standard Webhooks secret",
      "standard",
      { verify: { scheme: "standard_webhooks", secret: sw(1) }, fields },
      "config.verify.secret",
      /at least 24 bytes/,
    ],
    ["a 23-byte Standard Webhooks secret, as Keldair's shorthand", "keldair", { verify: { secret: sw(23) } }, "config.verify.secret", /at least 24 bytes/],
    ["a short second secret while rotating", "keldair", { verify: { secret: [sw(32), sw(8)] } }, "config.verify.secret", /at least 24 bytes/],
    ["a short KarmaCheck signing_secret", "karmacheck", { signing_secret: sw(16) }, "config.signing_secret", /at least 24 bytes/],
    [
      "a 15-character hmac secret",
      "standard",
      { verify: { scheme: "hmac", header: "x-sig", secret: chars(15) }, fields },
      "config.verify.secret",
      /at least 16 characters/,
    ],
    [
      "a short static token",
      "standard",
      { verify: { scheme: "token", header: "x-token", tokens: [chars(40), "abc"] }, fields },
      "config.verify.tokens.1",
      /at least 16 characters/,
    ],
    ["a short Truework token", "truework", { tokens: ["tw-1"] }, "config.tokens.0", /at least 16 characters/],
    [
      "a short Case Keeper token",
      "casekeeper",
      { token: "ck", api: { base_url: "https://ck.example.com", client_id: "c", client_secret: "s" } },
      "config.token",
      /at least 16 characters/,
    ],
  ])("refuses %s with 422 naming the field", async (_name, provider, config, path, message) => {
    const customer = await createCustomer();
    const res = await refused(customer.id, () => api.post("/v1/sources", { customer_id: customer.id, provider, name: "weak", config }), {
      status: 422,
      code: "validation_failed",
      message,
    });
    expect(res.body.error.details).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("accepts each minimum exactly", async () => {
    const customer = await createCustomer();
    await createSource(customer.id, "keldair", { verify: { secret: sw(24) } });
    await createSource(customer.id, "standard", {
      verify: { scheme: "hmac", header: "x-sig", secret: chars(16), timestamp_header: "x-ts", payload_template: "v0:{timestamp}:{body}" },
      fields,
    });
    await createSource(customer.id, "standard", { verify: { scheme: "token", header: "x-token", tokens: [chars(16)] }, fields });
    await createSource(customer.id, "truework", { tokens: [chars(16)] });
  });

  it("keeps a source saved before these rules accepting its webhooks, says so in the log, and has its next config change fix it", async () => {
    const customer = await createCustomer();
    const weak = sw(6);
    const id = await savedEarlier(customer.id, "keldair", { verify: { secret: weak } });
    const res = await postKeldair(id, keldairEvent("app-weak"), weak);
    expect(res.status, res.text).toBe(200);
    expect(warnings.some((w) => w.includes("source config breaks a current rule") && w.includes(id) && w.includes("verify.secret"))).toBe(true);
    expect(warnings.join("\n")).not.toContain(weak.slice(6));
    // A rename alone is fine; a config change must fix the secret.
    expect((await api.patch(`/v1/sources/${id}`, { name: "renamed" })).status).toBe(200);
    await refused(customer.id, () => api.patch(`/v1/sources/${id}`, { config: { case_id_pointer: "/data/id" } }), {
      status: 422,
      code: "validation_failed",
      message: /config\.verify\.secret: must be a Standard Webhooks secret of at least 24 bytes/,
    });
    expect((await api.patch(`/v1/sources/${id}`, { config: { verify: { secret: sw(32) } } })).status).toBe(200);
  });
});

// ---- 2. refetch templates -----------------------------------------------------------------------------

describe("refetch templates", () => {
  const toMetadata = () => net.calls.filter((c) => new URL(c.url).hostname.startsWith("169.254."));

  it.each([
    "https://169.254.169.{case_id}/latest/meta-data",
    "https://127.0.0.{case_id}/",
    "https://{case_id}.{case_id}/",
    "https://api.example.com{case_id}/things",
    "https://{case_id}@api.example.com/things",
    "https://api.example.com:{case_id}/things",
    "https://api.example.com/things#{case_id}",
  ])("refuses %s: {case_id} only in the path or query", async (url) => {
    const customer = await createCustomer();
    for (const [provider, config] of [
      ["keldair", { verify: { secret: KD_SECRET }, refetch: { url } }],
      ["standard", { verify: { scheme: "standard_webhooks", secret: KD_SECRET }, fields: { case_id: "/data/id" }, refetch: { url } }],
    ] as const) {
      const res = await refused(customer.id, () => api.post("/v1/sources", { customer_id: customer.id, provider, name: "template", config }), {
        status: 422,
        code: "validation_failed",
        message: /\{case_id\} only in the path or query/,
      });
      expect(res.body.error.details).toContainEqual({ path: "config.refetch.url", message: expect.stringContaining("only in the path or query") });
    }
    const source = await createSource(customer.id, "keldair", { verify: { secret: KD_SECRET } });
    await refused(customer.id, () => api.patch(`/v1/sources/${source.id}`, { config: { refetch: { url } } }), {
      status: 422,
      code: "validation_failed",
      message: /only in the path or query/,
    });
  });

  it("accepts {case_id} in the path and the query", async () => {
    const customer = await createCustomer();
    await createSource(customer.id, "keldair", {
      verify: { secret: KD_SECRET },
      refetch: { url: "https://ats.example.com/v2/applicants/{case_id}?expand=jobs&ref={case_id}" },
    });
  });

  it.each([".", "..", "..."])("refuses a webhook whose case id is %j with 422, queueing nothing", async (caseId) => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "keldair", {
      verify: { secret: KD_SECRET },
      refetch: { url: "https://ats.example.com/applicants/{case_id}" },
    });
    const res = await refused(customer.id, () => postKeldair(source.id, keldairEvent(caseId)), {
      status: 422,
      code: "invalid_payload",
      message: /case id .* is refused: the case id is empty or only dots/,
    });
    expect(res.body.error.details).toEqual([{ path: "case_id", message: expect.stringContaining("only dots") }]);
    expect(net.calls).toEqual([]);
  });

  it("checks a template saved before these rules again when it is called: nothing reaches the address it picks", async () => {
    const customer = await createCustomer();
    const endpoint = await createEndpoint(customer.id);
    const hook = receiver(net, endpoint.url, () => endpoint.secret);
    const hostPicked = await savedEarlier(customer.id, "keldair", {
      verify: { secret: KD_SECRET },
      refetch: { url: "https://169.254.169.{case_id}/latest/meta-data" },
    });
    const internalBase = await savedEarlier(customer.id, "keldair", {
      verify: { secret: KD_SECRET },
      refetch: { url: "https://169.254.169.254/latest/{case_id}" },
    });
    expect((await postKeldair(hostPicked, keldairEvent("254"))).status).toBe(200);
    expect((await postKeldair(internalBase, keldairEvent("meta-data"))).status).toBe(200);
    // Refused for good, so recorded as failed (shown, replayable once fixed), never retried for ever.
    expect(await receiptDetail(hostPicked, "254")).toMatch(/^failed refetch_rejected: .*the refetch URL template puts \{case_id\} in the host/);
    expect(await receiptDetail(internalBase, "meta-data")).toMatch(
      /^failed refetch_rejected: .*provider API URL refused: it must not point at a private, loopback or link-local address/,
    );
    expect(toMetadata()).toEqual([]);
    expect(hook.got).toEqual([]);
  });
});

// ---- 6. provider API response cap ---------------------------------------------------------------------

describe("provider API responses", () => {
  it("are cut off past 1 MiB: the receipt says why and nothing is forwarded", async () => {
    const customer = await createCustomer();
    const base = `https://kc-${customer.id.toLowerCase()}.hardening.test`;
    const source = await createSource(customer.id, "karmacheck", {
      username: "kc-hooks",
      password: "hardening-kc-password",
      api: { base_url: base, api_key: "hardening-kc-key", client_access_token: "hardening-kc-cat" },
    });
    const endpoint = await createEndpoint(customer.id);
    const hook = receiver(net, endpoint.url, () => endpoint.secret);
    let served = 0;
    net.on(`${base}/auth/api`, () => json({ token: "hardening-jwt" }));
    net.on(`${base}/case/id/`, () => {
      const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
      // An endless answer: only the cap ends it.
      return new Response(
        new ReadableStream({
          pull: (c) => {
            served += chunk.length;
            c.enqueue(chunk);
          },
        }),
        { status: 200 },
      );
    });
    const body = { ...kcCaseEvent("case-huge", "2026-01-01T00:00:00.000Z", "Pending", null), username: "kc-hooks", password: "hardening-kc-password" };
    const res = await request("POST", `/in/${source.id}`, { token: null, raw: JSON.stringify(body), headers: { "content-type": "application/json" } });
    expect(res.status, res.text).toBe(200);
    expect(await receiptDetail(source.id, "case-huge")).toMatch(/^failed refetch_rejected: .*provider API answered more than 1 MiB$/);
    expect(served).toBeLessThan(2 * 1024 * 1024);
    expect(hook.got).toEqual([]);
  });
});

// ---- 3. endpoints aimed at the relay, and per-customer caps -------------------------------------------

describe("endpoints aimed at the relay itself", () => {
  it("refuses the relay's own host and any source's ingest URL, on create and update", async () => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "standard");
    const other = await createSource((await createCustomer()).id, "keldair");
    const selfLoop = /must not point at this relay itself/;
    for (const url of [
      source.ingest_url.replace(/^http:/, "https:"),
      "https://relay.test/anything",
      "https://RELAY.test./in/x",
      "https://relay.test:8443/hook",
      `https://caserelay.acme.workers.dev/in/${source.id}`,
      `https://hooks.example.com/in/${other.id}`,
      `https://hooks.example.com/in/%73rc_${other.id.slice(4)}`,
    ]) {
      const res = await refused(customer.id, () => api.post("/v1/endpoints", { customer_id: customer.id, url }), {
        status: 422,
        code: "validation_failed",
        message: selfLoop,
      });
      expect(res.body.error.details, url).toEqual([{ path: "url", message: expect.stringMatching(selfLoop) }]);
    }
    const endpoint = await createEndpoint(customer.id);
    await refused(customer.id, () => api.patch(`/v1/endpoints/${endpoint.id}`, { url: `https://other.example.net/in/${source.id}` }), {
      status: 422,
      code: "validation_failed",
      message: selfLoop,
    });
    expect((await api.get(`/v1/endpoints/${endpoint.id}`)).body.url).toBe(endpoint.url);
    expect(net.calls).toEqual([]);
    // An ingest-shaped path that names no source of this relay is someone else's.
    await createEndpoint(customer.id, { url: "https://other-relay.example.com/in/src_00000000000000000000000000" });
  });

  it("refuses PUBLIC_BASE_URL's host", async () => {
    const customer = await createCustomer();
    const call = withVars({ PUBLIC_BASE_URL: "https://hooks-in.acme.example" });
    const res = await call("POST", "/v1/endpoints", { customer_id: customer.id, url: "https://hooks-in.acme.example/in/anything" });
    expect(res.status, res.text).toBe(422);
    expect(res.body.error).toMatchObject({ code: "validation_failed", message: expect.stringContaining("hooks-in.acme.example is the relay's own host") });
    expect((await api.get(`/v1/endpoints?customer_id=${customer.id}`)).body.data).toEqual([]);
  });
});

describe("per-customer caps", () => {
  it("default to 50 sources and 50 endpoints", () => {
    expect(getConfig(env)).toMatchObject({ maxSourcesPerCustomer: 50, maxEndpointsPerCustomer: 50 });
  });

  it("refuse the endpoint past MAX_ENDPOINTS_PER_CUSTOMER with 409 limit_reached, even when created all at once", async () => {
    const customer = await createCustomer();
    const call = withVars({ MAX_ENDPOINTS_PER_CUSTOMER: "3" });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call("POST", "/v1/endpoints", { customer_id: customer.id, url: `https://hooks.example.com/cap-${i}` })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.error).toMatchObject({
        code: "limit_reached",
        message: `Customer ${customer.id} already has 3 endpoints, the most allowed (MAX_ENDPOINTS_PER_CUSTOMER): delete one first.`,
      });
    }
    const count = await env.DB.prepare("SELECT count(*) AS n FROM endpoints WHERE customer_id = ?").bind(customer.id).first<{ n: number }>();
    expect(count!.n).toBe(3);
    // Another customer has its own allowance; deleting one frees a place.
    expect((await call("POST", "/v1/endpoints", { customer_id: (await createCustomer()).id, url: "https://hooks.example.com/cap-b" })).status).toBe(201);
    expect((await call("DELETE", `/v1/endpoints/${results.find((r) => r.status === 201)!.body.id}`)).status).toBe(200);
    expect((await call("POST", "/v1/endpoints", { customer_id: customer.id, url: "https://hooks.example.com/cap-again" })).status).toBe(201);
  });

  it("refuse the source past MAX_SOURCES_PER_CUSTOMER with 409 limit_reached, storing nothing", async () => {
    const customer = await createCustomer();
    const call = withVars({ MAX_SOURCES_PER_CUSTOMER: "2" });
    const create = () =>
      call("POST", "/v1/sources", { customer_id: customer.id, provider: "keldair", name: "capped", config: { verify: { secret: KD_SECRET } } });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const res = await refused(customer.id, create, {
      status: 409,
      code: "limit_reached",
      message: /already has 2 sources, the most allowed \(MAX_SOURCES_PER_CUSTOMER\)/,
    });
    expect(res.body.error.message).toContain(customer.id);
  });
});
