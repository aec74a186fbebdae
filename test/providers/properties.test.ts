/**
 * Property tests: whatever a provider (or anyone who found an ingest URL) sends, parse, verify and
 * normalize answer with a result instead of throwing, and normalize stays inside the vocabulary.
 *
 * Reproduce a failure with the printed seed: `VITE_FC_SEED=<seed> npx vitest run test/providers/properties.test.ts`.
 * (Only VITE_-prefixed variables reach the tests inside workerd; FC_SEED is read too where it does.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, STATUSES, type Status } from "../../src/domain";
import { PROVIDER_NAMES, providers } from "../../src/providers";
import { casekeeper } from "../../src/providers/casekeeper";
import { karmacheck } from "../../src/providers/karmacheck";
import { standard } from "../../src/providers/standard";
import type { HandshakeRequest, HandshakeResponse, InboundRequest, Normalized, ParseResult, ProviderAdapter, VerifyResult } from "../../src/providers/types";
import { credentialValues, fixturesOf, type Fixture } from "../helpers/adapters";

const seed = Number(process.env.VITE_FC_SEED ?? process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log("fast-check seed", seed);
const runs = { seed, numRuns: 200 };

// ---- helpers ---------------------------------------------------------------------------------

const NOW = 1_750_000_000;

function req(json: unknown, headers: Record<string, string> = {}, rawBody?: string): InboundRequest {
  let body = rawBody;
  if (body === undefined) {
    try {
      body = JSON.stringify(json) ?? "";
    } catch {
      body = String(json);
    }
  }
  return { headers: new Headers(headers), rawBody: body, json, now: NOW };
}

function expectParseResult(result: ParseResult) {
  if (result.ok) {
    const e = result.event;
    expect(typeof e.caseId).toBe("string");
    expect(e.caseId).not.toBe("");
    expect(typeof e.dedupeKey).toBe("string");
    expect(e.dedupeKey).not.toBe("");
    expect(typeof e.eventType).toBe("string");
    expect(e.subject === "case" || /^check:.+/s.test(e.subject)).toBe(true);
    expect(e.version === null || typeof e.version === "string").toBe(true);
    expect(e.providerEventId === null || typeof e.providerEventId === "string").toBe(true);
  } else {
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) {
      expect(typeof issue.path).toBe("string");
      expect(typeof issue.message).toBe("string");
    }
  }
}

const TERMINAL_STATUSES: readonly Status[] = ["completed", "canceled", "deleted"];

function expectNormalized(n: Normalized) {
  expect(STATUSES).toContain(n.status);
  expect(EVENT_TYPES).toContain(n.type);
  expect(n.terminal).toBe(TERMINAL_STATUSES.includes(n.status));
  expect(n.provider_status === null || typeof n.provider_status === "string").toBe(true);
  expect(n.group === null || typeof n.group === "string").toBe(true);
  // check.updated exactly when there is a check; otherwise the status decides the case type.
  expect(n.type === "check.updated").toBe(n.check !== null);
  if (n.check) {
    expect(STATUSES).toContain(n.check.status);
    expect(typeof n.check.id).toBe("string");
    expect(n.check.name === null || typeof n.check.name === "string").toBe(true);
    expect(n.check.provider_status === null || typeof n.check.provider_status === "string").toBe(true);
  } else if (n.status === "completed") expect(n.type).toBe("case.completed");
  else if (n.status === "canceled") expect(n.type).toBe("case.canceled");
  else if (n.status === "deleted") expect(n.type).toBe("case.deleted");
}

/** A copy of `doc` with each mutation applied: set `value` at `path`, or delete it. */
function mutate(doc: unknown, mutations: { path: readonly string[]; value: unknown; remove: boolean }[]): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const { path, value, remove } of mutations) {
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown> | null)?.[key];
    if (typeof parent !== "object" || parent === null) continue;
    const last = path[path.length - 1]!;
    if (remove) delete (parent as Record<string, unknown>)[last];
    else (parent as Record<string, unknown>)[last] = value;
  }
  return copy;
}

// ---- arbitraries ---------------------------------------------------------------------------

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** Strings that have broken lookups and parsers before: empty, Object.prototype names, status words. */
const tricky = fc.constantFrom(
  "",
  " ",
  "0",
  "constructor",
  "__proto__",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "Complete",
  "Pending",
  "Canceled",
  "Authorization in Progress",
  "clear",
  "action-requred",
  "invalid",
  "completed",
  "deleted",
  "verification.",
  "verification.x.",
  "check:",
  "/",
  "complete",
  "consider",
  "approved",
  "needs_review",
  "hired",
  "RED",
  "RETRY",
  "GREEN",
  "resubmission_requested",
  "inq_",
  "/jobs/1",
);
const word = fc.oneof(fc.string({ maxLength: 20 }), tricky);
const scalar = fc.oneof(word, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** Keys the adapters read, among random ones. */
const knownKey = fc.constantFrom(
  "id",
  "caseId",
  "status",
  "state",
  "caseStatus",
  "secondaryCaseStatus",
  "secondaryStatus",
  "pendingStatus",
  "groupProfileId",
  "serviceName",
  "name",
  "type",
  "services",
  "verification_requests",
  "frontIdCardResult",
  "data",
  "object",
  "result",
  "attributes",
  "included",
  "relationships",
  "reviewStatus",
  "reviewResult",
  "reviewAnswer",
  "reviewRejectType",
  "verification",
  "application",
  "current_stage",
  "toString",
  "valueOf",
  "constructor",
  "__proto__",
);
const key = fc.oneof(knownKey, fc.string({ maxLength: 10 }));

/** JSON-like trees whose objects use the keys adapters look at. */
const shaped: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", maxDepth: 4 }, scalar, fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(key, tie("node"), { maxKeys: 5 })),
})).node;

const anyValue = fc.oneof(scalar, fc.constant(undefined), shaped, fc.anything({ maxDepth: 3 }));

/** Up to four changes to a valid envelope, at its fields. */
function nearEnvelope(fixtures: Fixture[], paths: string[][]): fc.Arbitrary<Fixture> {
  const mutation = fc.record({ path: fc.constantFrom(...paths), value: anyValue, remove: fc.boolean() });
  return fc.tuple(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([f, ms]) => ({ ...f, body: mutate(f.body, ms) }));
}

/** Every path to a field of the fixtures (objects and arrays included), the places mutations go. */
function fieldPaths(docs: unknown[], max = 80): string[][] {
  const seen = new Map<string, string[]>();
  const walk = (v: unknown, path: string[]) => {
    if (path.length) seen.set(JSON.stringify(path), path);
    if (path.length >= 6 || typeof v !== "object" || v === null) return;
    for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  for (const d of docs) walk(d, []);
  return [...seen.values()].sort((a, b) => a.length - b.length).slice(0, max);
}

// ---- the adapters under test ---------------------------------------------------------------

const SW_SECRET = `whsec_${btoa("caserelay-property-test-key-32b!")}`;

type Subject = {
  name: string;
  adapter: ProviderAdapter<unknown>;
  config: unknown;
  /** The published examples in test/fixtures, as the adapter receives them. */
  fixtures: Fixture[];
  paths: string[][];
  /** The fixtures' event types and near misses of them. */
  eventTypes: string[];
  /** Every credential of `config`, in the forms a verify reason could leak. */
  secrets: string[];
};

/** Every registered adapter, with its example config and its fixtures: a new one is covered by its registry line. */
const SUBJECTS: Subject[] = PROVIDER_NAMES.map((name) => {
  const adapter = providers[name] as ProviderAdapter<unknown>;
  const config = adapter.configSchema.parse(adapter.example);
  const fixtures = fixturesOf(name);
  const types = fixtures.flatMap((f) => {
    const r = adapter.parse(req(f.body, f.headers), config);
    return r.ok ? [r.event.eventType] : [];
  });
  const nearMisses = types.flatMap((t) => [`${t}.x`, t.replace(/[^._-]+$/, "deleted"), t.replace(/[^._-]+$/, "created"), t.replace(/[^._-]+$/, "completed")]);
  const secrets = credentialValues(name, adapter.example).flatMap((v) => (v.startsWith("whsec_") ? [v, v.slice(6)] : [v]));
  return { name, adapter, config, fixtures, paths: fieldPaths(fixtures.map((f) => f.body)), eventTypes: [...new Set([...types, ...nearMisses])], secrets };
});

// ---- parse ---------------------------------------------------------------------------------

describe.each(SUBJECTS)("$name parse", ({ adapter, config, fixtures, paths, name }) => {
  const check = (json: unknown, headers: Record<string, string> = {}) => {
    const result = adapter.parse(req(json, headers), config);
    expectParseResult(result);
    if (name === "karmacheck" && result.ok) {
      expect(Object.keys(result.event.body as object)).not.toContain("username");
      expect(Object.keys(result.event.body as object)).not.toContain("password");
    }
  };

  it("never throws on any JSON document", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => check(JSON.parse(text), fixtures[0]?.headers)),
      runs,
    );
  });

  it("never throws on any JavaScript value", () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), (v) => check(v, fixtures[0]?.headers)),
      runs,
    );
  });

  it("never throws on envelopes with fields of random types", () => {
    fc.assert(
      fc.property(nearEnvelope(fixtures, paths), (f) => check(f.body, f.headers)),
      runs,
    );
  });

  it("accepts each fixture (so the envelopes above start valid)", () => {
    expect(fixtures.length, `add test/fixtures/${name}-*.json`).toBeGreaterThan(0);
    for (const f of fixtures) expect(adapter.parse(req(f.body, f.headers), config).ok, f.file).toBe(true);
  });
});

// ---- verify --------------------------------------------------------------------------------

const VERIFY_CASES: { name: string; adapter: ProviderAdapter<unknown>; config: unknown; secrets: string[]; acceptsAll: boolean }[] = [
  ...SUBJECTS.map((s) => ({
    name: s.name,
    adapter: s.adapter,
    config: s.config,
    // Any subject's secret: a reason naming another source's credential would be as wrong.
    secrets: SUBJECTS.flatMap((x) => x.secrets),
    acceptsAll: false,
  })),
  {
    name: "karmacheck (api only)",
    adapter: karmacheck as ProviderAdapter<unknown>,
    config: karmacheck.configSchema.parse({ api: { api_key: "k", client_access_token: "c" } }),
    secrets: [],
    acceptsAll: true,
  },
  {
    name: "karmacheck (basic)",
    adapter: karmacheck as ProviderAdapter<unknown>,
    config: karmacheck.configSchema.parse({ username: "u", password: ["kc-p1-prop", "kc-p2-prop"] }),
    secrets: ["kc-p1-prop", "kc-p2-prop"],
    acceptsAll: false,
  },
  {
    name: "casekeeper (no token)",
    adapter: casekeeper as ProviderAdapter<unknown>,
    config: casekeeper.configSchema.parse({ api: { base_url: "https://ck.example.com", client_id: "c", client_secret: "s" } }),
    secrets: [],
    acceptsAll: true,
  },
  ...[
    { scheme: "token", header: "x-token", tokens: ["std-token-prop-01", "std-token-prop-02"] },
    { scheme: "basic", username: "u", password: "std-basic-prop" },
    { scheme: "hmac", header: "x-hub-signature-256", prefix: "sha256=", secret: ["std-hmac-prop-01", "std-hmac-prop-02"] },
    { scheme: "standard_webhooks", secret: [SW_SECRET] },
    {
      scheme: "signature",
      header: "x-sig",
      format: "pairs",
      timestamp_key: "t",
      signed: ["timestamp", "body", "header:x-ts"],
      secret: ["std-hmac-prop-1", "std-hmac-prop-2"],
    },
    { scheme: "signature", header: "x-sig", format: "scheme_word", algorithm: "sha512", encoding: "base64", secret: "std-hmac-prop-1" },
  ].map((verify) => ({
    name: `standard (${verify.scheme}${"format" in verify ? ` ${verify.format}` : ""})`,
    adapter: standard as ProviderAdapter<unknown>,
    config: standard.configSchema.parse({ verify, fields: { case_id: "/id" } }),
    secrets: ["std-token-prop-01", "std-token-prop-02", "std-basic-prop", "std-hmac-prop-01", "std-hmac-prop-02", SW_SECRET.slice(6)],
    acceptsAll: false,
  })),
];

const headerName = fc.oneof(
  fc.constantFrom(
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "authorization",
    "x-truework-token",
    "x-casekeeper-token",
    "x-sig",
    "x-ts",
    "x-token",
    "x-hub-signature-256",
    "x-checkr-signature",
    "signature",
    "greenhouse-event-id",
    "smartrecruiters-signature",
    "smartrecruiters-timestamp",
    "event-name",
    "link",
    "persona-signature",
    "x-payload-digest",
    "x-payload-digest-alg",
    "x-hmac-signature",
    "x-auth-client",
    "x-hook-secret",
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);
const headerValue = fc.oneof(
  printable,
  fc.integer({ min: NOW - 1000, max: NOW + 1000 }).map(String),
  fc.base64String({ maxLength: 90 }).map((s) => `v1,${s}`),
  fc.base64String({ maxLength: 90 }).map((s) => `sha512=${s}`),
  fc.stringMatching(/^[0-9a-f]{0,64}$/).map((s) => `sha256=${s}`),
  fc.tuple(printable, printable).map(([u, p]) => `Basic ${btoa(`${u}:${p}`)}`),
  fc.constantFrom(
    "Basic ",
    "Basic A",
    "Basic Og==",
    "v1,",
    "v1, v2,x",
    "sha512=",
    "sha256 ",
    "t=,v1=",
    "v1=;v1=",
    "HMAC_SHA512_HEX",
    "HMAC_SHA1_HEX",
    "<https://api.smartrecruiters.com/jobs/1>; rel=self",
  ),
  fc.tuple(fc.integer({ min: NOW - 1000, max: NOW + 1000 }), fc.stringMatching(/^[0-9a-f]{0,64}$/)).map(([t, h]) => `t=${t},v1=${h}`),
  fc.stringMatching(/^[0-9a-f]{0,64}$/).map((h) => `sha256 ${h}`),
  fc.array(fc.stringMatching(/^[0-9a-f]{0,64}$/), { maxLength: 40 }).map((hs) => hs.map((h) => `v1=${h}`).join(";")),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 });
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  printable,
  fc.constantFrom(...SUBJECTS.flatMap((s) => s.fixtures).map((f) => JSON.stringify(f.body))),
  nearEnvelope(fixturesOf("karmacheck"), [["username"], ["password"]]).map((f) => JSON.stringify(f.body)),
);

describe.each(VERIFY_CASES)("$name verify", ({ adapter, config, secrets, acceptsAll }) => {
  it("always resolves to ok or a reason without a secret, and random requests do not pass", async () => {
    await fc.assert(
      fc.asyncProperty(headers, body, async (h, raw) => {
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          json = undefined;
        }
        const result: VerifyResult = await adapter.verify(req(json, h, raw), config);
        if (result.ok) {
          expect(acceptsAll).toBe(true);
        } else {
          expect(typeof result.reason).toBe("string");
          expect(result.reason).not.toBe("");
          for (const secret of secrets) expect(result.reason).not.toContain(secret);
        }
      }),
      runs,
    );
  });
});

// ---- normalize -----------------------------------------------------------------------------

describe.each(SUBJECTS)("$name normalize", ({ adapter, config, fixtures, paths, eventTypes }) => {
  const event = fc.record({
    eventType: fc.oneof(fc.constantFrom(...eventTypes), word),
    subject: fc.oneof(
      fc.constant("case"),
      word.map((w) => `check:${w}`),
      fc.constantFrom("check:2f209172-e2df-4b78-a644-c950554fd5f8", "check:vr_1a2b3c4d5e6f", "check:frontIdCardResult"),
      word,
    ),
    caseId: word,
    body: fc.oneof(
      anyValue,
      nearEnvelope(fixtures, paths).map((f) => f.body),
    ),
  });
  /** States that contain the webhook's check ids, so lookups of nested entries run too. */
  const state = fc.oneof(
    anyValue,
    fc.tuple(shaped, shaped).map(([a, b]) => ({
      caseStatus: a,
      status: b,
      services: [{ id: "2f209172-e2df-4b78-a644-c950554fd5f8", status: a, serviceName: b }],
      verification_requests: [{ id: "vr_1a2b3c4d5e6f", state: b, type: a }],
      frontIdCardResult: { status: a },
    })),
  );

  it("never throws and stays inside STATUSES and EVENT_TYPES", () => {
    fc.assert(
      fc.property(event, state, fc.boolean(), fc.boolean(), (e, s, verified, trusted) => {
        expectNormalized(adapter.normalize({ event: e, state: s, verified, trusted }, config));
      }),
      runs,
    );
  });

  it("handles the parsed fixtures with any refetched state", () => {
    const parsed = fixtures.map((f) => {
      const r = adapter.parse(req(f.body, f.headers), config);
      if (!r.ok) throw new Error("fixture must parse");
      return r.event;
    });
    fc.assert(
      fc.property(fc.constantFrom(...parsed), state, fc.boolean(), fc.boolean(), (e, s, verified, trusted) => {
        expectNormalized(adapter.normalize({ event: e, state: verified ? s : e.body, verified, trusted }, config));
      }),
      runs,
    );
  });
});

// ---- handshake -----------------------------------------------------------------------------

const HANDSHAKERS: { name: string; adapter: ProviderAdapter<unknown>; config: unknown }[] = [
  ...SUBJECTS.filter((s) => s.adapter.handshake),
  {
    name: "standard (echo and challenge)",
    adapter: standard as ProviderAdapter<unknown>,
    config: standard.configSchema.parse({
      verify: { scheme: "token", header: "x-token", tokens: ["std-tok-prop-0001"] },
      fields: { case_id: "/id" },
      handshake: { echo_header: "x-hook-secret", get_challenge: { param: "challenge", verify_token: { param: "token", tokens: ["std-verify-prop-1"] } } },
    }),
  },
];

const query = fc
  .dictionary(fc.constantFrom("challenge", "token", "hub.challenge", "x"), fc.oneof(printable, fc.constantFrom("std-verify-prop-1", "<b>", "a b")), {
    maxKeys: 3,
  })
  .map((q) => new URLSearchParams(q));

describe.each(HANDSHAKERS)("$name handshake", ({ adapter, config }) => {
  it("never throws, and answers only a status, echoable headers and a safe body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET" as const, "POST" as const), headers, query, body, async (method, h, q, raw) => {
        const hsReq: HandshakeRequest = { method, headers: new Headers(h), query: q, rawBody: raw, now: NOW };
        const answer: HandshakeResponse | null = await adapter.handshake!(hsReq, config);
        if (answer === null) return;
        if (answer.status === 401) {
          expect(answer.reason).not.toContain("std-verify-prop-1");
          return;
        }
        expect([200, 202]).toContain(answer.status);
        for (const v of Object.values(answer.headers ?? {})) expect(v).toMatch(/^[\x20-\x7e]*$/);
        if (answer.body !== undefined) expect(answer.body).not.toMatch(/[<>]/);
      }),
      runs,
    );
  });
});
