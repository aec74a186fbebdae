/** refetch and canRefetch of every adapter, against a scripted ProviderHttp and an in-memory TokenCache. */
import { describe, expect, it } from "vitest";
import { casekeeper } from "../../src/providers/casekeeper";
import { karmacheck } from "../../src/providers/karmacheck";
import { keldair } from "../../src/providers/keldair";
import { standard } from "../../src/providers/standard";
import { truework } from "../../src/providers/truework";
import { RefetchError, type ProviderAdapter, type ProviderHttp, type TokenCache } from "../../src/providers/types";

// ---- helpers ---------------------------------------------------------------------------------

type Init = Parameters<ProviderHttp["request"]>[1];
type Call = { url: string; init: Init };
type Reply = { status: number; body: unknown };

/** Answers requests in order from `replies`; records every call; fails the test on an unscripted one. */
function fakeHttp(...replies: Reply[]) {
  const calls: Call[] = [];
  const http: ProviderHttp = {
    async request(url, init) {
      calls.push({ url, init: structuredClone(init) });
      const reply = replies.shift();
      if (!reply) throw new Error(`unexpected request ${init.method ?? "GET"} ${url}`);
      return reply;
    },
  };
  return { http, calls, script: (...more: Reply[]) => replies.push(...more), pending: () => replies.length };
}

/** A TokenCache in memory, with a clock the test can move (ms, like the real cache). */
function fakeTokens(start = Date.now()) {
  const entries = new Map<string, { token: string; expiresAt: number | null }>();
  let now = start;
  const cache: TokenCache = {
    async obtain(key, fetch) {
      const e = entries.get(key);
      if (e && (e.expiresAt === null || e.expiresAt > now)) return e.token;
      const fresh = await fetch();
      entries.set(key, fresh);
      return fresh.token;
    },
    async invalidate(key, token) {
      if (entries.get(key)?.token === token) entries.delete(key);
    },
  };
  return { cache, entries, advance: (ms: number) => (now += ms) };
}

const method = (c: Call | undefined) => c?.init.method ?? "GET";
const header = (c: Call | undefined, name: string) => Object.entries(c?.init.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

function setup<C>(adapter: ProviderAdapter<C>, rawConfig: unknown, ...replies: Reply[]) {
  const config = adapter.configSchema.parse(rawConfig);
  const net = fakeHttp(...replies);
  const tokens = fakeTokens();
  const refetch = (caseId: string) => adapter.refetch({ config, http: net.http, tokens: tokens.cache }, caseId);
  return { config, refetch, ...net, tokens };
}

async function refetchError(p: Promise<unknown>): Promise<RefetchError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RefetchError);
  return err as RefetchError;
}

// ---- KarmaCheck ----------------------------------------------------------------------------

describe("karmacheck", () => {
  const base = "https://api-stage.karmacheck.io";
  const api = { base_url: base, api_key: "kc-api-key", client_access_token: "kc-client-token" };
  const caseId = "9b1c2d3e-4f50-4a6b-8c7d-0e1f2a3b4c5d";
  const theCase = { id: caseId, caseStatus: "Pending" };
  const auth = (token: string): Reply => ({ status: 200, body: { token } });
  const found = (...cases: unknown[]): Reply => ({ status: 200, body: { cases } });

  it("authenticates, caches the token and returns the matching case", async () => {
    const t = setup(karmacheck, { api }, auth("jwt-1"), found({ id: "someone-else", caseStatus: "Complete" }, theCase));
    expect(await t.refetch(caseId)).toEqual({ kind: "found", state: theCase });
    expect(t.calls).toHaveLength(2);
    expect(t.calls[0]).toEqual({ url: `${base}/auth/api`, init: { method: "POST", json: { apiKey: "kc-api-key", clientAccessToken: "kc-client-token" } } });
    expect(method(t.calls[1])).toBe("GET");
    expect(t.calls[1]?.url).toBe(`${base}/case/id/${caseId}`);
    expect(header(t.calls[1], "authorization")).toBe("Bearer jwt-1");
    // The JWT does not expire.
    expect([...t.tokens.entries.values()]).toEqual([{ token: "jwt-1", expiresAt: null }]);
  });

  it("reuses the cached token on the next refetch", async () => {
    const t = setup(karmacheck, { api }, auth("jwt-1"), found(theCase));
    await t.refetch(caseId);
    t.script(found(theCase));
    expect(await t.refetch(caseId)).toEqual({ kind: "found", state: theCase });
    expect(t.calls.map((c) => c.url)).toEqual([`${base}/auth/api`, `${base}/case/id/${caseId}`, `${base}/case/id/${caseId}`]);
    expect(header(t.calls[2], "authorization")).toBe("Bearer jwt-1");
  });

  it("on a 401, forgets the token, authenticates once more and retries", async () => {
    const t = setup(karmacheck, { api }, auth("jwt-old"), found(theCase));
    await t.refetch(caseId);
    t.script({ status: 401, body: { message: "expired" } }, auth("jwt-new"), found(theCase));
    expect(await t.refetch(caseId)).toEqual({ kind: "found", state: theCase });
    expect(t.calls.slice(2).map((c) => `${method(c)} ${c.url} ${header(c, "authorization") ?? ""}`.trim())).toEqual([
      `GET ${base}/case/id/${caseId} Bearer jwt-old`,
      `POST ${base}/auth/api`,
      `GET ${base}/case/id/${caseId} Bearer jwt-new`,
    ]);
    expect([...t.tokens.entries.values()]).toEqual([{ token: "jwt-new", expiresAt: null }]);
  });

  it("gives up after one re-authentication", async () => {
    const t = setup(karmacheck, { api }, auth("a"), { status: 401, body: {} }, auth("b"), { status: 401, body: {} });
    const err = await refetchError(t.refetch(caseId));
    expect(err.retryable).toBe(false);
    expect(t.pending()).toBe(0);
    expect(t.calls.filter((c) => c.url.endsWith("/auth/api"))).toHaveLength(2);
  });

  it.each([403, 404])("reports %i as gone", async (status) => {
    const t = setup(karmacheck, { api }, auth("jwt"), { status, body: { message: "no" } });
    expect(await t.refetch(caseId)).toEqual({ kind: "gone", httpStatus: status });
  });

  it("reports an empty case list as gone", async () => {
    const t = setup(karmacheck, { api }, auth("jwt"), found());
    expect(await t.refetch(caseId)).toEqual({ kind: "gone", httpStatus: 404 });
  });

  it("accepts a bare case object as well as { cases }", async () => {
    const t = setup(karmacheck, { api }, auth("jwt"), { status: 200, body: theCase });
    expect(await t.refetch(caseId)).toEqual({ kind: "found", state: theCase });
  });

  it("fails without retrying when authentication is refused or gives no token", async () => {
    for (const reply of [
      { status: 401, body: { message: "bad key" } },
      { status: 200, body: {} },
    ]) {
      const t = setup(karmacheck, { api }, reply);
      expect((await refetchError(t.refetch(caseId))).retryable).toBe(false);
      expect(t.tokens.entries.size).toBe(0);
    }
  });

  it("fails without retrying on another 4xx", async () => {
    const t = setup(karmacheck, { api }, auth("jwt"), { status: 400, body: {} });
    expect((await refetchError(t.refetch(caseId))).retryable).toBe(false);
  });

  it("encodes the case id into the path and defaults to the production base", async () => {
    const t = setup(karmacheck, { api: { api_key: "k", client_access_token: "c" } }, auth("jwt"), found({ id: "a/b?c" }));
    expect(await t.refetch("a/b?c")).toEqual({ kind: "found", state: { id: "a/b?c" } });
    expect(t.calls.map((c) => c.url)).toEqual(["https://api.karmacheck.io/auth/api", "https://api.karmacheck.io/case/id/a%2Fb%3Fc"]);
  });

  it("strips a trailing slash from base_url", async () => {
    const t = setup(karmacheck, { api: { ...api, base_url: `${base}/` } }, auth("jwt"), found(theCase));
    await t.refetch(caseId);
    expect(t.calls[0]?.url).toBe(`${base}/auth/api`);
  });

  it("without api, does not refetch", async () => {
    const t = setup(karmacheck, { username: "u", password: "p" });
    expect(karmacheck.canRefetch(t.config)).toBe(false);
    expect(await t.refetch(caseId)).toEqual({ kind: "none" });
    expect(t.calls).toHaveLength(0);
    expect(karmacheck.canRefetch(karmacheck.configSchema.parse({ api }))).toBe(true);
  });
});

// ---- Truework ------------------------------------------------------------------------------

describe("truework", () => {
  const base = "https://api.truework-sandbox.com";
  const api = { base_url: base, api_key: "tw-api-key" };
  const order = { id: "ord_1", status: "processing", verification_requests: [] };

  it("GETs the order with the bearer key and the pinned API version", async () => {
    const t = setup(truework, { tokens: ["hook-token-0123456789"], api }, { status: 200, body: order });
    expect(await t.refetch("ord_1")).toEqual({ kind: "found", state: order });
    expect(t.calls).toHaveLength(1);
    expect(method(t.calls[0])).toBe("GET");
    expect(t.calls[0]?.url).toBe(`${base}/orders/ord_1`);
    expect(header(t.calls[0], "authorization")).toBe("Bearer tw-api-key");
    expect(header(t.calls[0], "accept")).toBe("application/json; version=2023-10-30");
  });

  it.each([404, 410])("reports %i as gone", async (status) => {
    const t = setup(truework, { tokens: ["hook-token-0123456789"], api }, { status, body: {} });
    expect(await t.refetch("ord_1")).toEqual({ kind: "gone", httpStatus: status });
  });

  it.each([401, 403, 422])("fails without retrying on %i", async (status) => {
    const t = setup(truework, { tokens: ["hook-token-0123456789"], api }, { status, body: {} });
    expect((await refetchError(t.refetch("ord_1"))).retryable).toBe(false);
  });

  it("encodes the order id and defaults to the production base", async () => {
    const t = setup(truework, { tokens: ["hook-token-0123456789"], api: { api_key: "k" } }, { status: 200, body: order });
    await t.refetch("ord 1/2");
    expect(t.calls[0]?.url).toBe("https://api.truework.com/orders/ord%201%2F2");
  });

  it("without api, does not refetch", async () => {
    const t = setup(truework, { tokens: ["hook-token-0123456789"] });
    expect(truework.canRefetch(t.config)).toBe(false);
    expect(await t.refetch("ord_1")).toEqual({ kind: "none" });
    expect(t.calls).toHaveLength(0);
    expect(truework.canRefetch(truework.configSchema.parse({ tokens: ["hook-token-0123456789"], api }))).toBe(true);
  });
});

// ---- Case Keeper ---------------------------------------------------------------------------

describe("casekeeper", () => {
  const base = "https://ck.example.com";
  const api = { base_url: base, client_id: "relay-client", client_secret: "ck-client-secret" };
  const tokenUrl = `${base}/auth/realms/mac-portal/protocol/openid-connect/token`;
  const id = "01234567-89ab-cdef-0123-456789abcdef";
  const verification = { id, status: "in_progress", frontIdCardResult: { status: "confirmed" } };
  const token = (access_token: string, expires_in?: number): Reply => ({
    status: 200,
    body: { access_token, token_type: "Bearer", ...(expires_in === undefined ? {} : { expires_in }) },
  });
  const found: Reply = { status: 200, body: { data: verification } };

  it("gets a client-credentials token, caches it until it expires and GETs the verification", async () => {
    const before = Date.now();
    const t = setup(casekeeper, { api }, token("ck-1", 300), found);
    expect(await t.refetch(id)).toEqual({ kind: "found", state: verification });
    const after = Date.now();
    expect(t.calls[0]).toEqual({
      url: tokenUrl,
      init: { method: "POST", form: { grant_type: "client_credentials", client_id: "relay-client", client_secret: "ck-client-secret" } },
    });
    expect(method(t.calls[1])).toBe("GET");
    expect(t.calls[1]?.url).toBe(`${base}/api/v3/case-keeper/verifications/${id}`);
    expect(header(t.calls[1], "authorization")).toBe("Bearer ck-1");
    const [entry] = [...t.tokens.entries.values()];
    expect(entry?.token).toBe("ck-1");
    // Cached until a little before expires_in runs out, never past it.
    expect(entry?.expiresAt).toBeGreaterThanOrEqual(before + 300_000 - 60_000);
    expect(entry?.expiresAt).toBeLessThanOrEqual(after + 300_000);
  });

  it("reuses the token while it is valid and fetches a new one after it expires", async () => {
    const t = setup(casekeeper, { api }, token("ck-1", 300), found);
    await t.refetch(id);
    t.script(found);
    await t.refetch(id);
    expect(t.calls.filter((c) => c.url === tokenUrl)).toHaveLength(1);
    t.tokens.advance(300_000);
    t.script(token("ck-2", 300), found);
    await t.refetch(id);
    expect(t.calls.map((c) => c.url === tokenUrl)).toEqual([true, false, false, true, false]);
    expect(header(t.calls[4], "authorization")).toBe("Bearer ck-2");
  });

  it("caches without expiry when the token endpoint gives no expires_in", async () => {
    const t = setup(casekeeper, { api }, token("ck-1"), found);
    await t.refetch(id);
    expect([...t.tokens.entries.values()]).toEqual([{ token: "ck-1", expiresAt: null }]);
  });

  it("uses token_url when configured", async () => {
    const t = setup(casekeeper, { api: { ...api, token_url: "https://sso.example.com/oauth/token" } }, token("ck-1", 60), found);
    await t.refetch(id);
    expect(t.calls[0]?.url).toBe("https://sso.example.com/oauth/token");
    expect(t.calls[1]?.url).toBe(`${base}/api/v3/case-keeper/verifications/${id}`);
  });

  it("keeps tokens of different clients apart", async () => {
    const config = casekeeper.configSchema.parse({ api });
    const other = casekeeper.configSchema.parse({ api: { ...api, client_id: "other-client" } });
    const net = fakeHttp(token("ck-1", 300), found, token("ck-other", 300), found);
    const tokens = fakeTokens();
    await casekeeper.refetch({ config, http: net.http, tokens: tokens.cache }, id);
    await casekeeper.refetch({ config: other, http: net.http, tokens: tokens.cache }, id);
    expect(net.calls.filter((c) => c.url === tokenUrl)).toHaveLength(2);
    expect(header(net.calls[3], "authorization")).toBe("Bearer ck-other");
  });

  it("on a 401, fetches a new token once and retries", async () => {
    const t = setup(casekeeper, { api }, token("ck-1", 300), { status: 401, body: {} }, token("ck-2", 300), found);
    expect(await t.refetch(id)).toEqual({ kind: "found", state: verification });
    expect(header(t.calls[3], "authorization")).toBe("Bearer ck-2");
    expect(t.pending()).toBe(0);
  });

  it("returns the body itself when it is not wrapped in data", async () => {
    const t = setup(casekeeper, { api }, token("ck-1", 300), { status: 200, body: verification });
    expect(await t.refetch(id)).toEqual({ kind: "found", state: verification });
  });

  it.each([404, 410])("reports %i as gone", async (status) => {
    const t = setup(casekeeper, { api }, token("ck-1", 300), { status, body: {} });
    expect(await t.refetch(id)).toEqual({ kind: "gone", httpStatus: status });
  });

  it("fails without retrying when the token endpoint refuses", async () => {
    const t = setup(casekeeper, { api }, { status: 401, body: { error: "invalid_client" } });
    expect((await refetchError(t.refetch(id))).retryable).toBe(false);
  });

  it("always can refetch (its API is required)", () => {
    expect(casekeeper.canRefetch(casekeeper.configSchema.parse({ api }))).toBe(true);
    expect(casekeeper.configSchema.safeParse({}).success).toBe(false);
  });
});

// ---- refetch templates: KeldairHR and standard --------------------------------------------

describe.each([
  { name: "keldair", adapter: keldair as ProviderAdapter<unknown>, base: { verify: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } } },
  {
    name: "standard",
    adapter: standard as ProviderAdapter<unknown>,
    base: { verify: { scheme: "token", header: "x-token", tokens: ["hook-token-0123456789"] }, fields: { case_id: "/id" } },
  },
])("$name refetch template", ({ adapter, base }) => {
  const refetch = { url: "https://ats.example.com/v2/applicants/{case_id}?expand=jobs", headers: { Authorization: "Bearer ats-key", "X-Tenant": "acme" } };

  it("GETs the template URL with the case id substituted and the configured headers", async () => {
    const t = setup(adapter, { ...base, refetch }, { status: 200, body: { id: "app 1/2", stage: "hired" } });
    expect(adapter.canRefetch(t.config)).toBe(true);
    expect(await t.refetch("app 1/2")).toEqual({ kind: "found", state: { id: "app 1/2", stage: "hired" } });
    expect(t.calls).toEqual([
      { url: "https://ats.example.com/v2/applicants/app%201%2F2?expand=jobs", init: { headers: { Authorization: "Bearer ats-key", "X-Tenant": "acme" } } },
    ]);
  });

  it.each([404, 410])("reports %i as gone", async (status) => {
    const t = setup(adapter, { ...base, refetch }, { status, body: null });
    expect(await t.refetch("app_1")).toEqual({ kind: "gone", httpStatus: status });
  });

  it("fails without retrying on another 4xx", async () => {
    const t = setup(adapter, { ...base, refetch }, { status: 403, body: null });
    expect((await refetchError(t.refetch("app_1"))).retryable).toBe(false);
  });

  it("without a template, does not refetch", async () => {
    const t = setup(adapter, base);
    expect(adapter.canRefetch(t.config)).toBe(false);
    expect(await t.refetch("app_1")).toEqual({ kind: "none" });
    expect(t.calls).toHaveLength(0);
  });

  it("refuses a template without {case_id} or with a relative URL", () => {
    expect(adapter.configSchema.safeParse({ ...base, refetch: { url: "https://ats.example.com/applicants" } }).success).toBe(false);
    expect(adapter.configSchema.safeParse({ ...base, refetch: { url: "/applicants/{case_id}" } }).success).toBe(false);
    expect(adapter.configSchema.safeParse({ ...base, refetch: { url: "https://x.example.com/{case_id}", headers: { "bad header": "v" } } }).success).toBe(
      false,
    );
  });
});

describe("refetch edge cases", () => {
  const kc = { api: { base_url: "https://api-stage.karmacheck.io", api_key: "k", client_access_token: "t" } };

  it("KarmaCheck: matches the case id whatever its letter case, and never forwards another case", async () => {
    const upper = setup(karmacheck, kc, { status: 200, body: { token: "jwt" } }, { status: 200, body: { cases: [{ id: "other" }, { id: "ABC-1" }] } });
    expect(await upper.refetch("abc-1")).toEqual({ kind: "found", state: { id: "ABC-1" } });
    const lone = setup(karmacheck, kc, { status: 200, body: { token: "jwt" } }, { status: 200, body: { cases: [{ caseId: "x" }] } });
    expect((await lone.refetch("abc-1")).kind).toBe("found");
    const none = setup(karmacheck, kc, { status: 200, body: { token: "jwt" } }, { status: 200, body: { cases: [{ id: "a" }, { id: "b" }] } });
    expect(await none.refetch("abc-1")).toEqual({ kind: "gone", httpStatus: 404 });
  });

  it("templates: every {case_id} is replaced, URL-encoded", async () => {
    const t = setup(
      keldair,
      { verify: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, refetch: { url: "https://ats.example.com/{case_id}/history?of={case_id}" } },
      { status: 200, body: {} },
    );
    await t.refetch("a/b");
    expect(t.calls[0]!.url).toBe("https://ats.example.com/a%2Fb/history?of=a%2Fb");
  });
});
