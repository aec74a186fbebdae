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
import { casekeeper } from "../../src/providers/casekeeper";
import { checkr } from "../../src/providers/checkr";
import { greenhouse } from "../../src/providers/greenhouse";
import { karmacheck } from "../../src/providers/karmacheck";
import { keldair } from "../../src/providers/keldair";
import { persona } from "../../src/providers/persona";
import { smartrecruiters } from "../../src/providers/smartrecruiters";
import { standard } from "../../src/providers/standard";
import { sumsub } from "../../src/providers/sumsub";
import { truework } from "../../src/providers/truework";
import { veriff } from "../../src/providers/veriff";
import type { HandshakeRequest, HandshakeResponse, InboundRequest, Normalized, ParseResult, ProviderAdapter, VerifyResult } from "../../src/providers/types";
import casekeeperStep from "../fixtures/casekeeper-step-result.json";
import casekeeperUpdated from "../fixtures/casekeeper-verification-updated.json";
import karmaCase from "../fixtures/karmacheck-case-statuschange.json";
import karmaService from "../fixtures/karmacheck-casedata-statuschange.json";
import keldairEvent from "../fixtures/keldair-event.json";
import trueworkCompleted from "../fixtures/truework-order-completed.json";
import trueworkStateChange from "../fixtures/truework-verification-state-change.json";
import checkrInvitation from "../fixtures/checkr-invitation-created.json";
import checkrReport from "../fixtures/checkr-report-completed.json";
import greenhouseHire from "../fixtures/greenhouse-hire-candidate.json";
import greenhouseOffer from "../fixtures/greenhouse-offer-created.json";
import greenhouseStage from "../fixtures/greenhouse-candidate-stage-change.json";
import personaApproved from "../fixtures/persona-inquiry-approved.json";
import personaVerification from "../fixtures/persona-verification-passed.json";
import srStatusUpdated from "../fixtures/smartrecruiters-application-status-updated.json";
import srJobUpdated from "../fixtures/smartrecruiters-job-updated.json";
import sumsubReviewed from "../fixtures/sumsub-applicant-reviewed.json";
import sumsubRetry from "../fixtures/sumsub-applicant-rejected-retry.json";
import veriffDecision from "../fixtures/veriff-decision-approved.json";
import veriffEvent from "../fixtures/veriff-event-submitted.json";
import veriffUserStatus from "../fixtures/veriff-user-status.json";

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
  node: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    scalar,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(key, tie("node"), { maxKeys: 5 }),
  ),
})).node;

const anyValue = fc.oneof(scalar, fc.constant(undefined), shaped, fc.anything({ maxDepth: 3 }));

/** Up to four changes to a valid envelope, at the fields the adapter reads. */
function nearEnvelope(fixtures: unknown[], paths: string[][]) {
  const mutation = fc.record({ path: fc.constantFrom(...paths), value: anyValue, remove: fc.boolean() });
  return fc.tuple(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([doc, ms]) => mutate(doc, ms));
}

// ---- the adapters under test ---------------------------------------------------------------

const SW_SECRET = `whsec_${btoa("caserelay-property-test-key-32b!")}`;

type Subject = {
  name: string;
  adapter: ProviderAdapter<unknown>;
  config: unknown;
  fixtures: unknown[];
  paths: string[][];
  eventTypes: string[];
  /** Headers every webhook of the provider carries (SmartRecruiters: the event is in them). */
  headers?: Record<string, string>;
};

function subject<C>(name: string, adapter: ProviderAdapter<C>, rawConfig: unknown, rest: Omit<Subject, "name" | "adapter" | "config">): Subject {
  return { name, adapter: adapter as ProviderAdapter<unknown>, config: adapter.configSchema.parse(rawConfig), ...rest };
}

const SUBJECTS: Subject[] = [
  subject(
    "karmacheck",
    karmacheck,
    { username: "kc-user", password: "kc-pass-prop", signing_secret: SW_SECRET, api: { api_key: "k", client_access_token: "c" } },
    {
      fixtures: [karmaCase, karmaService],
      paths: [
        ["messageId"],
        ["event"],
        ["eventObject"],
        ["eventObject", "id"],
        ["eventObject", "caseId"],
        ["eventObject", "modStamp"],
        ["eventObject", "caseStatusId"],
        ["eventObject", "secondaryCaseStatusId"],
        ["eventObject", "statusId"],
        ["eventObject", "pendingStatusId"],
        ["username"],
        ["password"],
      ],
      eventTypes: ["case.statuschange", "casedata.statuschange"],
    },
  ),
  subject(
    "truework",
    truework,
    { tokens: ["tw-prop-token-0123"], api: { api_key: "tw-key" } },
    {
      fixtures: [trueworkCompleted, trueworkStateChange],
      paths: [["hook"], ["hook", "event"], ["hook", "triggered_at"], ["data"], ["data", "order_id"], ["data", "state"], ["data", "verification_request_id"]],
      eventTypes: ["order.completed", "verification_request.state.change"],
    },
  ),
  subject(
    "casekeeper",
    casekeeper,
    { token: "ck-prop-token-0123", api: { base_url: "https://ck.example.com", client_id: "c", client_secret: "ck-prop-secret" } },
    {
      fixtures: [casekeeperUpdated, casekeeperStep],
      paths: [["key"], ["data"], ["data", "id"], ["data", "updatedAt"], ["data", "status"], ["data", "frontIdCardResult"]],
      eventTypes: ["verification.created", "verification.updated", "verification.deleted", "verification.frontIdCardResult.confirmed", "verification.a.b.c"],
    },
  ),
  subject(
    "keldair",
    keldair,
    { verify: { secret: SW_SECRET } },
    {
      fixtures: [keldairEvent],
      paths: [["id"], ["type"], ["dateOccurred"], ["data"], ["data", "id"]],
      eventTypes: ["applicant.hired", "applicant.created", "applicant.deleted"],
    },
  ),
  subject(
    "standard",
    standard,
    {
      verify: { scheme: "hmac", header: "x-sig", algorithm: "sha512", encoding: "base64", prefix: "sha512=", timestamp_header: "x-ts", secret: "std-prop-secret-0123" },
      fields: { case_id: "/data/id", event_id: "/id", type: "/type", version: "/dateOccurred", status: "/status", group: "/data/id" },
      status_map: { hired: "completed", rejected: "canceled", Pending: "pending" },
    },
    {
      fixtures: [keldairEvent],
      paths: [["id"], ["type"], ["dateOccurred"], ["status"], ["data"], ["data", "id"]],
      eventTypes: ["thing.updated", "thing.created", "thing.deleted"],
    },
  ),
  subject(
    "checkr",
    checkr,
    { signing_secret: "checkr-prop-secret", api: { api_key: "checkr-prop-key" } },
    {
      fixtures: [checkrReport, checkrInvitation],
      paths: [["id"], ["type"], ["created_at"], ["account_id"], ["data"], ["data", "object"], ["data", "object", "id"], ["data", "object", "object"], ["data", "object", "report_id"], ["data", "object", "status"]],
      eventTypes: ["report.completed", "report.created", "invitation.created", "invitation.deleted", "adverse_action.pre_adverse_action_sent"],
    },
  ),
  subject(
    "greenhouse",
    greenhouse,
    { secret: "greenhouse-prop-secret", api: { api_key: "harvest-prop-token" } },
    {
      fixtures: [greenhouseStage, greenhouseHire, greenhouseOffer],
      paths: [["action"], ["payload"], ["payload", "application"], ["payload", "application", "id"], ["payload", "application", "status"], ["payload", "application", "last_activity_at"], ["payload", "application_id"], ["payload", "offer"]],
      eventTypes: ["candidate_stage_change", "hire_candidate", "new_candidate_application", "delete_application"],
    },
  ),
  subject(
    "smartrecruiters",
    smartrecruiters,
    { secret: "sr-prop-secret", api: { api_key: "sr-prop-key" } },
    {
      fixtures: [srStatusUpdated.body, srJobUpdated.body],
      headers: srStatusUpdated.headers,
      paths: [["id"], ["job_id"], ["candidate_id"]],
      eventTypes: ["application.status.updated", "application.created", "job.updated", "position.deleted"],
    },
  ),
  subject(
    "persona",
    persona,
    { secret: "persona-prop-secret", api: { api_key: "persona-prop-key" } },
    {
      fixtures: [personaApproved, personaVerification],
      paths: [
        ["data"],
        ["data", "id"],
        ["data", "attributes"],
        ["data", "attributes", "name"],
        ["data", "attributes", "created-at"],
        ["data", "attributes", "payload"],
        ["data", "attributes", "payload", "data"],
        ["data", "attributes", "payload", "data", "id"],
        ["data", "attributes", "payload", "data", "type"],
        ["data", "attributes", "payload", "data", "attributes"],
        ["data", "attributes", "payload", "data", "relationships"],
      ],
      eventTypes: ["inquiry.completed", "inquiry.created", "verification.passed"],
    },
  ),
  subject(
    "sumsub",
    sumsub,
    { secret: "sumsub-prop-secret", api: { token: "sumsub-prop-token", secret: "sumsub-prop-app-secret" } },
    {
      fixtures: [sumsubReviewed, sumsubRetry],
      paths: [["applicantId"], ["type"], ["correlationId"], ["createdAtMs"], ["reviewStatus"], ["reviewResult"], ["reviewResult", "reviewAnswer"], ["reviewResult", "reviewRejectType"], ["applicantActionId"], ["levelName"]],
      eventTypes: ["applicantReviewed", "applicantCreated", "applicantDeleted", "applicantActionReviewed"],
    },
  ),
  subject(
    "veriff",
    veriff,
    { api_key: "veriff-prop-client", secret: "veriff-prop-secret", api: {} },
    {
      fixtures: [veriffDecision, veriffEvent, veriffUserStatus],
      paths: [["verification"], ["verification", "id"], ["verification", "status"], ["verification", "decisionTime"], ["id"], ["action"], ["attemptId"], ["eventType"], ["time"], ["data"], ["data", "verification"]],
      eventTypes: ["decision.approved", "event.submitted", "event.created", "user-status.created"],
    },
  ),
];

// ---- parse ---------------------------------------------------------------------------------

describe.each(SUBJECTS)("$name parse", ({ adapter, config, fixtures, paths, name, headers }) => {
  const check = (json: unknown) => {
    const result = adapter.parse(req(json, headers), config);
    expectParseResult(result);
    if (name === "karmacheck" && result.ok) {
      expect(Object.keys(result.event.body as object)).not.toContain("username");
      expect(Object.keys(result.event.body as object)).not.toContain("password");
    }
  };

  it("never throws on any JSON document", () => {
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), (text) => check(JSON.parse(text))), runs);
  });

  it("never throws on any JavaScript value", () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 4 }), check), runs);
  });

  it("never throws on envelopes with fields of random types", () => {
    fc.assert(fc.property(nearEnvelope(fixtures, paths), check), runs);
  });

  it("accepts each fixture (so the envelopes above start valid)", () => {
    for (const fixture of fixtures) expect(adapter.parse(req(fixture, headers), config).ok).toBe(true);
  });
});

// ---- verify --------------------------------------------------------------------------------

const VERIFY_CASES: { name: string; adapter: ProviderAdapter<unknown>; config: unknown; secrets: string[]; acceptsAll: boolean }[] = [
  ...SUBJECTS.map((s) => ({
    name: s.name,
    adapter: s.adapter,
    config: s.config,
    secrets: [
      "kc-pass-prop",
      SW_SECRET,
      SW_SECRET.slice(6),
      "tw-prop-token-0123",
      "ck-prop-token-0123",
      "std-prop-secret-0123",
      "checkr-prop-secret",
      "checkr-prop-key",
      "greenhouse-prop-secret",
      "sr-prop-secret",
      "persona-prop-secret",
      "sumsub-prop-secret",
      "veriff-prop-secret",
    ],
    acceptsAll: false,
  })),
  { name: "karmacheck (api only)", adapter: karmacheck as ProviderAdapter<unknown>, config: karmacheck.configSchema.parse({ api: { api_key: "k", client_access_token: "c" } }), secrets: [], acceptsAll: true },
  { name: "karmacheck (basic)", adapter: karmacheck as ProviderAdapter<unknown>, config: karmacheck.configSchema.parse({ username: "u", password: ["kc-p1-prop", "kc-p2-prop"] }), secrets: ["kc-p1-prop", "kc-p2-prop"], acceptsAll: false },
  { name: "casekeeper (no token)", adapter: casekeeper as ProviderAdapter<unknown>, config: casekeeper.configSchema.parse({ api: { base_url: "https://ck.example.com", client_id: "c", client_secret: "s" } }), secrets: [], acceptsAll: true },
  ...[
    { scheme: "token", header: "x-token", tokens: ["std-token-prop-01", "std-token-prop-02"] },
    { scheme: "basic", username: "u", password: "std-basic-prop" },
    { scheme: "hmac", header: "x-hub-signature-256", prefix: "sha256=", secret: ["std-hmac-prop-01", "std-hmac-prop-02"] },
    { scheme: "standard_webhooks", secret: [SW_SECRET] },
    { scheme: "signature", header: "x-sig", format: "pairs", timestamp_key: "t", signed: ["timestamp", "body", "header:x-ts"], secret: ["std-hmac-prop-1", "std-hmac-prop-2"] },
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
  fc.constantFrom("Basic ", "Basic A", "Basic Og==", "v1,", "v1, v2,x", "sha512=", "sha256 ", "t=,v1=", "v1=;v1=", "HMAC_SHA512_HEX", "HMAC_SHA1_HEX", "<https://api.smartrecruiters.com/jobs/1>; rel=self"),
  fc.tuple(fc.integer({ min: NOW - 1000, max: NOW + 1000 }), fc.stringMatching(/^[0-9a-f]{0,64}$/)).map(([t, h]) => `t=${t},v1=${h}`),
  fc.stringMatching(/^[0-9a-f]{0,64}$/).map((h) => `sha256 ${h}`),
  fc.array(fc.stringMatching(/^[0-9a-f]{0,64}$/), { maxLength: 40 }).map((hs) => hs.map((h) => `v1=${h}`).join(";")),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 });
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  printable,
  fc.constantFrom(...SUBJECTS.flatMap((s) => s.fixtures).map((f) => JSON.stringify(f))),
  nearEnvelope([karmaCase], [["username"], ["password"]]).map((j) => JSON.stringify(j)),
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

describe.each(SUBJECTS)("$name normalize", ({ adapter, config, fixtures, paths, eventTypes, headers }) => {
  const event = fc.record({
    eventType: fc.oneof(fc.constantFrom(...eventTypes), word),
    subject: fc.oneof(fc.constant("case"), word.map((w) => `check:${w}`), fc.constantFrom("check:2f209172-e2df-4b78-a644-c950554fd5f8", "check:vr_1a2b3c4d5e6f", "check:frontIdCardResult"), word),
    caseId: word,
    body: fc.oneof(anyValue, nearEnvelope(fixtures, paths)),
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
      const r = adapter.parse(req(f, headers), config);
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
  .dictionary(fc.constantFrom("challenge", "token", "hub.challenge", "x"), fc.oneof(printable, fc.constantFrom("std-verify-prop-1", "<b>", "a b")), { maxKeys: 3 })
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
