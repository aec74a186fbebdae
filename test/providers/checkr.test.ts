/** The checkr adapter against Checkr's documented webhooks, signature examples and API. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkr } from "../../src/providers/checkr";
import { dedupeKey } from "../../src/providers/shared";
import { RefetchError } from "../../src/providers/types";
import invitationCreated from "../fixtures/checkr-invitation-created.json";
import reportCompleted from "../fixtures/checkr-report-completed.json";
import { json, stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import { basicOf, expectRefused, inbound, issuePaths, normalizeAfterParse, parseOk, refetchVia, variant, type Json } from "../helpers/vendor";

const API_KEY = "checkr-api-key-83b1f2c4d5e6a7b8c9d0";
const CLIENT_SECRET = "checkr-oauth-client-secret-5f6e7d8c9b";
const STAGING = "https://api.checkr-staging.com";
const direct = checkr.configSchema.parse({ api: { base_url: STAGING, api_key: API_KEY } });
const partner = checkr.configSchema.parse({ signing_secret: CLIENT_SECRET, api: { api_key: API_KEY } });
const secrets = [API_KEY, CLIENT_SECRET];

const signed = async (body: unknown, key: string) => {
  const raw = JSON.stringify(body);
  return inbound(body, { "x-checkr-signature": await hmacHex(key, raw) }, { raw });
};

describe("checkr config", () => {
  it("needs a signing secret or an API key, and defaults to production", () => {
    expect(checkr.configSchema.safeParse({}).success).toBe(false);
    expect(checkr.configSchema.parse({ signing_secret: CLIENT_SECRET }).api).toBeUndefined();
    expect(checkr.configSchema.parse({ api: { api_key: API_KEY } }).api?.base_url).toBe("https://api.checkr.com");
    expect(checkr.configSchema.safeParse({ api: { api_key: "a\r\nb" } }).success).toBe(false);
  });
});

describe("checkr verify", () => {
  it("accepts Checkr's published example (HMAC-SHA256 hex of the compact JSON with 'test-secret')", async () => {
    const raw = '{"monday":"75F","tuesday":"80F"}';
    const req = inbound(JSON.parse(raw), { "x-checkr-signature": "b7412f05e981a473b5ecbdb5393afaea02a679db6d7c8e56803512ec4ba98151" }, { raw });
    // The published key is shorter than a real one: the config is built by hand, past the schema.
    expect(await checkr.verify(req, { signing_secret: ["test-secret"] })).toEqual({ ok: true });
  });

  it("verifies with the API key when no signing secret is set (direct accounts)", async () => {
    expect(await checkr.verify(await signed(reportCompleted, API_KEY), direct)).toEqual({ ok: true });
    expectRefused(await checkr.verify(await signed(reportCompleted, CLIENT_SECRET), direct), /x-checkr-signature does not match/, secrets);
  });

  it("verifies with the signing secret when set (partner apps), not the API key", async () => {
    expect(await checkr.verify(await signed(invitationCreated, CLIENT_SECRET), partner)).toEqual({ ok: true });
    expectRefused(await checkr.verify(await signed(invitationCreated, API_KEY), partner), /does not match/, secrets);
  });

  it("accepts either signing secret while one rotates", async () => {
    const rotating = checkr.configSchema.parse({ signing_secret: ["checkr-next-client-secret-0a1b2c3d", CLIENT_SECRET] });
    expect(await checkr.verify(await signed(reportCompleted, CLIENT_SECRET), rotating)).toEqual({ ok: true });
  });

  it("refuses a tampered body and a missing header", async () => {
    const req = await signed(reportCompleted, API_KEY);
    expectRefused(await checkr.verify({ ...req, rawBody: req.rawBody.replace('"clear"', '"consider"') }, direct), /does not match/, secrets);
    expectRefused(await checkr.verify(inbound(reportCompleted), direct), /missing x-checkr-signature header/, secrets);
  });
});

describe("checkr parse", () => {
  it.each([
    ["report-completed", reportCompleted, "4722c07dd9a10c3985ae432a", "report.completed", "2018-08-17T01:12:43Z", "1002d6bca6acdfcbb8442178"],
    ["invitation-created", invitationCreated, "1d8f0a2c3b4e5f6a7b8c9d0e", "invitation.created", "2018-08-15T19:58:02Z", "5b8fd7a3b2a1e6002a3e1f01"],
  ] as const)("%s: case id, dedupe key, version and type", (_, fixture, caseId, type, version, eventId) => {
    expect(parseOk(checkr, direct, inbound(fixture))).toEqual({
      caseId,
      dedupeKey: dedupeKey([eventId]),
      providerEventId: eventId,
      eventType: type,
      version,
      subject: "case",
      body: fixture,
    });
  });

  it("dedupes on the event id alone", () => {
    const key = (j: unknown) => parseOk(checkr, direct, inbound(j)).dedupeKey;
    expect(key(variant(reportCompleted, (j) => (j.data.object.status = "pending")))).toBe(key(reportCompleted));
    expect(key(variant(reportCompleted, (j) => (j.id = "other")))).not.toBe(key(reportCompleted));
  });

  it("puts an event about another object of a report in that report's case", () => {
    const adverse = variant(reportCompleted, (j) => {
      j.type = "adverse_action.pre_adverse_action_sent";
      j.data.object = { id: "aa_0f1e2d3c4b5a69788796a5b4", object: "adverse_action", report_id: "4722c07dd9a10c3985ae432a", status: "pending" };
    });
    expect(parseOk(checkr, direct, inbound(adverse)).caseId).toBe("4722c07dd9a10c3985ae432a");
    // An invitation's own report_id does not move it: the invitation is its own case.
    const invitation = variant(invitationCreated, (j) => (j.data.object.report_id = "4722c07dd9a10c3985ae432a"));
    expect(parseOk(checkr, direct, inbound(invitation)).caseId).toBe("1d8f0a2c3b4e5f6a7b8c9d0e");
  });

  it.each([
    ["id", (j: Json) => delete j.id],
    ["type", (j: Json) => delete j.type],
    ["data.object.id", (j: Json) => delete j.data.object.id],
    ["data.object", (j: Json) => delete j.data.object],
  ])("reports a missing %s", (path, edit) => {
    expect(issuePaths(checkr, direct, inbound(variant(reportCompleted, edit)))).toContain(path);
  });
});

describe("checkr refetch", () => {
  let net: Network;
  beforeEach(() => (net = stubNetwork()));
  afterEach(() => net.restore());

  const report = { id: "4722c07dd9a10c3985ae432a", object: "report", status: "complete", result: "consider" };

  it("GETs the report with Basic auth, the API key as username and a blank password", async () => {
    net.on(`${STAGING}/v1/reports/`, () => json(report));
    expect(await refetchVia(checkr, direct, report.id)).toEqual({ kind: "found", state: report });
    const [call] = net.calls;
    expect(call).toMatchObject({ method: "GET", url: `${STAGING}/v1/reports/${report.id}` });
    expect(basicOf(call!.headers.authorization)).toEqual([API_KEY, ""]);
  });

  it("looks for an invitation, then a candidate, when no report has the id", async () => {
    const invitation = { id: "1d8f0a2c3b4e5f6a7b8c9d0e", object: "invitation", status: "completed" };
    net.on(`${STAGING}/v1/reports/`, () => json({ error: "Not Found" }, 404)).on(`${STAGING}/v1/invitations/`, () => json(invitation));
    expect(await refetchVia(checkr, direct, invitation.id)).toEqual({ kind: "found", state: invitation });
    expect(net.calls.map((c) => new URL(c.url).pathname)).toEqual([`/v1/reports/${invitation.id}`, `/v1/invitations/${invitation.id}`]);
    for (const c of net.calls) expect(basicOf(c.headers.authorization)).toEqual([API_KEY, ""]);
  });

  it("reports gone when no kind of object has the id", async () => {
    net.on(STAGING, () => json({ error: "Not Found" }, 404));
    expect(await refetchVia(checkr, direct, "missing")).toEqual({ kind: "gone", httpStatus: 404 });
    expect(net.calls.map((c) => new URL(c.url).pathname)).toEqual(["/v1/reports/missing", "/v1/invitations/missing", "/v1/candidates/missing"]);
  });

  it("stops at a 410, and fails without retrying on 401", async () => {
    net.on(`${STAGING}/v1/reports/`, () => json({}, 410));
    expect(await refetchVia(checkr, direct, "x")).toEqual({ kind: "gone", httpStatus: 410 });
    net.restore();
    net = stubNetwork().on(STAGING, () => json({ error: "Bad authentication" }, 401));
    const err = await refetchVia(checkr, direct, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefetchError);
    expect((err as RefetchError).retryable).toBe(false);
  });

  it("retries a 5xx (the caller's backoff) and encodes the id", async () => {
    net.on(STAGING, () => new Response("", { status: 503 }));
    const err = await refetchVia(checkr, direct, "a/b").catch((e: unknown) => e);
    expect((err as RefetchError).retryable).toBe(true);
    expect(net.calls[0]!.url).toBe(`${STAGING}/v1/reports/a%2Fb`);
  });

  it("without api, does not refetch", async () => {
    const config = checkr.configSchema.parse({ signing_secret: CLIENT_SECRET });
    expect(checkr.canRefetch(config)).toBe(false);
    expect(await refetchVia(checkr, config, "x")).toEqual({ kind: "none" });
    expect(checkr.canRefetch(direct)).toBe(true);
  });
});

describe("checkr normalize", () => {
  const report = (status: string | null, result: string | null = null) => ({ id: "4722c07dd9a10c3985ae432a", object: "report", status, result });

  it.each([
    ["pending", null, "in_progress", "case.updated", "pending"],
    ["suspended", null, "action_required", "case.updated", "suspended"],
    ["paused", null, "action_required", "case.updated", "paused"],
    ["dispute", "consider", "in_progress", "case.updated", "dispute / consider"],
    ["complete", "clear", "completed", "case.completed", "complete / clear"],
    ["complete", "consider", "completed", "case.completed", "complete / consider"],
    ["canceled", null, "canceled", "case.canceled", "canceled"],
    ["unheard-of", null, "in_progress", "case.updated", "unheard-of"],
  ] as const)("report %s / %s -> %s", (status, result, expected, type, providerStatus) => {
    expect(normalizeAfterParse(checkr, direct, inbound(reportCompleted), report(status, result))).toEqual({
      type,
      status: expected,
      provider_status: providerStatus,
      check: null,
      terminal: ["completed", "canceled"].includes(expected),
      group: null,
    });
  });

  it.each([
    ["pending", "pending", "case.created"],
    ["completed", "completed", "case.completed"],
    ["expired", "canceled", "case.canceled"],
  ] as const)("invitation %s -> %s", (status, expected, type) => {
    const n = normalizeAfterParse(checkr, direct, inbound(invitationCreated), { id: "1d8f0a2c3b4e5f6a7b8c9d0e", object: "invitation", status });
    expect(n).toMatchObject({ status: expected, type, provider_status: status, group: "8b5c9e8f1d2a4e6b9c0d3e4f" });
  });

  it("makes report.created case.created while pending, and a deleted invitation case.deleted", () => {
    const created = variant(reportCompleted, (j) => (j.type = "report.created"));
    expect(normalizeAfterParse(checkr, direct, inbound(created), report("pending"))).toMatchObject({ type: "case.created", status: "in_progress" });
    const deleted = variant(invitationCreated, (j) => (j.type = "invitation.deleted"));
    expect(normalizeAfterParse(checkr, direct, inbound(deleted), null)).toMatchObject({ type: "case.deleted", status: "deleted", terminal: true });
  });

  it("reads the body's object without an API", () => {
    expect(normalizeAfterParse(checkr, direct, inbound(reportCompleted), null, false)).toMatchObject({
      status: "completed",
      provider_status: "complete / clear",
    });
    expect(normalizeAfterParse(checkr, direct, inbound(invitationCreated), null, false)).toMatchObject({ status: "pending", type: "case.created" });
  });

  it("describes an adverse action's event by the refetched report", () => {
    const adverse = variant(reportCompleted, (j) => {
      j.type = "adverse_action.pre_adverse_action_sent";
      j.data.object = { id: "aa_1", object: "adverse_action", report_id: "4722c07dd9a10c3985ae432a", status: "pending" };
    });
    expect(normalizeAfterParse(checkr, direct, inbound(adverse), report("complete", "consider"))).toMatchObject({
      type: "case.completed",
      provider_status: "complete / consider",
    });
  });
});
