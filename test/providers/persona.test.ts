/** The persona adapter against Persona's documented events, Persona-Signature and inquiries API. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { persona } from "../../src/providers/persona";
import { dedupeKey } from "../../src/providers/shared";
import inquiryApproved from "../fixtures/persona-inquiry-approved.json";
import inquiryCompleted from "../fixtures/persona-inquiry-completed.json";
import verificationPassed from "../fixtures/persona-verification-passed.json";
import { json, stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import { expectRefused, inbound, issuePaths, normalizeAfterParse, NOW, parseOk, refetchVia, variant, type Json } from "../helpers/vendor";

const SECRET = "wbhsec_0c1f0b5e-7a4d-4a55-9b3c-2f6e8d1a4b7c";
const NEXT = "wbhsec_9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
const API_KEY = "persona_sandbox_3f2e1d0c-9b8a-4765-8432-10fedcba9876";
const config = persona.configSchema.parse({ secret: SECRET, api: { api_key: API_KEY } });
const secrets = [SECRET, NEXT, API_KEY];

const pair = async (secret: string, raw: string, t = NOW) => `t=${t},v1=${await hmacHex(secret, `${t}.${raw}`)}`;
async function signed(body: unknown, keys: string[] = [SECRET], t = NOW) {
  const raw = JSON.stringify(body);
  const header = (await Promise.all(keys.map((k) => pair(k, raw, t)))).join(" ");
  return inbound(body, { "persona-signature": header }, { raw });
}

describe("persona verify", () => {
  it("accepts t=<unix>,v1=<hex HMAC of t.body>", async () => {
    expect(await persona.verify(await signed(inquiryCompleted), config)).toEqual({ ok: true });
  });

  it("accepts the two space-separated pairs of a rotation, either secret configured", async () => {
    expect(await persona.verify(await signed(inquiryCompleted, [NEXT, SECRET]), config)).toEqual({ ok: true });
    const rotated = persona.configSchema.parse({ secret: [NEXT, SECRET] });
    expect(await persona.verify(await signed(inquiryCompleted, [NEXT]), rotated)).toEqual({ ok: true });
  });

  it("refuses another secret, a tampered body, an old or future t and a missing header", async () => {
    expectRefused(await persona.verify(await signed(inquiryCompleted, [NEXT]), config), /persona-signature does not match/, secrets);
    const req = await signed(inquiryCompleted);
    expectRefused(await persona.verify({ ...req, rawBody: req.rawBody.replace('"completed"', '"approved"') }, config), /does not match/, secrets);
    expectRefused(await persona.verify(await signed(inquiryCompleted, [SECRET], NOW - 301), config), /t= timestamp is outside the 5-minute tolerance/, secrets);
    expectRefused(await persona.verify(await signed(inquiryCompleted, [SECRET], NOW + 301), config), /outside the 5-minute tolerance/, secrets);
    expectRefused(await persona.verify(inbound(inquiryCompleted), config), /missing persona-signature header/, secrets);
  });

  it("covers Persona's retries: the last attempt comes 258 s after the first, inside the tolerance", async () => {
    const req = await signed(inquiryCompleted, [SECRET], NOW);
    expect(await persona.verify({ ...req, now: NOW + 258 }, config)).toEqual({ ok: true });
  });
});

describe("persona parse", () => {
  it.each([
    ["inquiry-approved", inquiryApproved, "inq_2CVZ4HyVg7qaboXz2PUHknAn", "evt_XGuYWp7WuDzNxie5z16s7sGJ", "inquiry.approved", null, "case"],
    [
      "inquiry-completed",
      inquiryCompleted,
      "inq_kT4xVnR2bPmYwL9sTgD3cExZ",
      "evt_wLq8Zp3KdR6sTnY2vB9cXm4F",
      "inquiry.completed",
      "2024-03-15T18:35:01.100Z",
      "case",
    ],
    [
      "verification-passed",
      verificationPassed,
      "inq_kT4xVnR2bPmYwL9sTgD3cExZ",
      "evt_Rb7nQ2wXk9LmT4sV8dZc3pYf",
      "verification.passed",
      "2024-03-15T18:33:40.250Z",
      "check:ver_Xt9sR2mQ7dLkV4bN8wPz3cYh",
    ],
  ] as const)("%s: case id, dedupe key, version and type", (_, fixture, caseId, eventId, type, version, subject) => {
    expect(parseOk(persona, config, inbound(fixture))).toEqual({
      caseId,
      dedupeKey: dedupeKey([eventId]),
      providerEventId: eventId,
      eventType: type,
      version,
      subject,
      body: fixture,
    });
  });

  it.each([
    ["data.id", (j: Json) => delete j.data.id],
    ["data.attributes.name", (j: Json) => delete j.data.attributes.name],
    ["data.attributes.payload.data", (j: Json) => delete j.data.attributes.payload.data],
  ])("reports a missing %s", (path, edit) => {
    expect(issuePaths(persona, config, inbound(variant(inquiryCompleted, edit)))).toContain(path);
  });

  it("refuses an event about something without an inquiry", () => {
    const account = variant(verificationPassed, (j) => {
      j.data.attributes.name = "account.created";
      j.data.attributes.payload.data = { type: "account", id: "act_ABC123", attributes: {} };
    });
    expect(issuePaths(persona, config, inbound(account))).toEqual(["data.attributes.payload.data"]);
  });
});

describe("persona refetch", () => {
  let net: Network;
  beforeEach(() => (net = stubNetwork()));
  afterEach(() => net.restore());

  it("GETs the inquiry with the API key as Bearer token", async () => {
    const doc = { data: { type: "inquiry", id: "inq_kT4xVnR2bPmYwL9sTgD3cExZ", attributes: { status: "approved" } }, included: [] };
    net.on("https://api.withpersona.com/api/v1/inquiries/", () => json(doc));
    expect(await refetchVia(persona, config, "inq_kT4xVnR2bPmYwL9sTgD3cExZ")).toEqual({ kind: "found", state: doc });
    expect(net.calls[0]).toMatchObject({ method: "GET", url: "https://api.withpersona.com/api/v1/inquiries/inq_kT4xVnR2bPmYwL9sTgD3cExZ" });
    expect(net.calls[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(net.calls[0]!.headers["persona-version"]).toBeUndefined();
  });

  it("sends Persona-Version when configured, to the configured base", async () => {
    const pinned = persona.configSchema.parse({ secret: SECRET, api: { api_key: API_KEY, version: "2023-01-05", base_url: "https://persona.example.com/" } });
    net.on("https://persona.example.com/api/v1/inquiries/", () => json({ data: {} }));
    await refetchVia(persona, pinned, "inq_1");
    expect(net.calls[0]!.headers["persona-version"]).toBe("2023-01-05");
  });

  it("reports a redacted or missing inquiry as gone", async () => {
    net.on("https://api.withpersona.com/", () => json({ errors: [{ title: "Record not found" }] }, 404));
    expect(await refetchVia(persona, config, "inq_gone")).toEqual({ kind: "gone", httpStatus: 404 });
  });
});

describe("persona normalize", () => {
  const inquiry = (status: string, included: unknown[] = []) => ({
    data: { type: "inquiry", id: "inq_kT4xVnR2bPmYwL9sTgD3cExZ", attributes: { status } },
    included,
  });

  it.each([
    ["created", "pending", "case.updated"],
    ["pending", "in_progress", "case.updated"],
    ["completed", "completed", "case.completed"],
    ["failed", "completed", "case.completed"],
    ["expired", "canceled", "case.canceled"],
    ["needs_review", "action_required", "case.updated"],
    ["approved", "completed", "case.completed"],
    ["declined", "completed", "case.completed"],
    ["something-new", "in_progress", "case.updated"],
  ] as const)("inquiry %s -> %s", (status, expected, type) => {
    expect(normalizeAfterParse(persona, config, inbound(inquiryCompleted), inquiry(status))).toEqual({
      type,
      status: expected,
      provider_status: status,
      check: null,
      terminal: ["completed", "canceled"].includes(expected),
      group: null,
    });
  });

  it("makes inquiry.created case.created", () => {
    const created = variant(inquiryCompleted, (j) => (j.data.attributes.name = "inquiry.created"));
    expect(normalizeAfterParse(persona, config, inbound(created), inquiry("created"))).toMatchObject({ type: "case.created", status: "pending" });
  });

  it("reads the event's own inquiry without an API", () => {
    expect(normalizeAfterParse(persona, config, inbound(inquiryApproved), null, false)).toMatchObject({ status: "completed", provider_status: "approved" });
  });

  it("makes a verification event check.updated, from the refetched document or the event", () => {
    const included = [{ type: "verification/government-id", id: "ver_Xt9sR2mQ7dLkV4bN8wPz3cYh", attributes: { status: "requires_retry" } }];
    expect(normalizeAfterParse(persona, config, inbound(verificationPassed), inquiry("pending", included))).toEqual({
      type: "check.updated",
      status: "in_progress",
      provider_status: "pending",
      check: { id: "ver_Xt9sR2mQ7dLkV4bN8wPz3cYh", name: "verification/government-id", status: "action_required", provider_status: "requires_retry" },
      terminal: false,
      group: null,
    });
    expect(normalizeAfterParse(persona, config, inbound(verificationPassed), inquiry("pending"))).toMatchObject({
      check: { status: "completed", provider_status: "passed" },
    });
    expect(normalizeAfterParse(persona, config, inbound(verificationPassed), null, false)).toMatchObject({
      type: "check.updated",
      status: "in_progress",
      provider_status: null,
      check: { status: "completed", provider_status: "passed" },
    });
  });
});
