/** The veriff adapter against Veriff's documented webhooks, X-HMAC-SIGNATURE and decision API. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dedupeKey } from "../../src/providers/shared";
import { veriff } from "../../src/providers/veriff";
import decisionApproved from "../fixtures/veriff-decision-approved.json";
import eventSubmitted from "../fixtures/veriff-event-submitted.json";
import userStatus from "../fixtures/veriff-user-status.json";
import { json, stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import { expectRefused, inbound, issuePaths, normalizeAfterParse, parseOk, refetchVia, variant, type Json } from "../helpers/vendor";

const API_KEY = "f0d3b6c2-3c4e-4b39-9a2f-7d1e5c8b9a0f";
const SECRET = "veriff-shared-secret-key-2c3d4e5f6a7b";
const NEXT = "veriff-next-shared-secret-8d9e0f1a2b3c";
const config = veriff.configSchema.parse({ api_key: API_KEY, secret: SECRET, api: {} });
const secrets = [SECRET, NEXT];

async function signed(body: unknown, secret = SECRET, client = API_KEY) {
  const raw = JSON.stringify(body);
  return inbound(body, { "x-auth-client": client, "x-hmac-signature": await hmacHex(secret, raw) }, { raw });
}

describe("veriff verify", () => {
  it.each([
    ["decision", decisionApproved],
    ["event", eventSubmitted],
    ["user status", userStatus],
  ])("accepts a %s webhook signed with the shared secret", async (_, fixture) => {
    expect(await veriff.verify(await signed(fixture), config)).toEqual({ ok: true });
  });

  it("accepts either secret while one rotates", async () => {
    const rotating = veriff.configSchema.parse({ api_key: API_KEY, secret: [NEXT, SECRET] });
    expect(await veriff.verify(await signed(decisionApproved), rotating)).toEqual({ ok: true });
  });

  it("refuses another secret, a tampered body, another integration and missing headers", async () => {
    expectRefused(await veriff.verify(await signed(decisionApproved, NEXT), config), /x-hmac-signature does not match/, secrets);
    const req = await signed(decisionApproved);
    expectRefused(await veriff.verify({ ...req, rawBody: req.rawBody.replace('"approved"', '"declined"') }, config), /does not match/, secrets);
    expectRefused(
      await veriff.verify(await signed(decisionApproved, SECRET, "another-integration"), config),
      /X-AUTH-CLIENT is not this integration's API key/,
      secrets,
    );
    expectRefused(await veriff.verify(inbound(decisionApproved, { "x-hmac-signature": "00" }), config), /missing X-AUTH-CLIENT header/, secrets);
    expectRefused(await veriff.verify(inbound(decisionApproved, { "x-auth-client": API_KEY }), config), /missing x-hmac-signature header/, secrets);
  });
});

describe("veriff parse", () => {
  it("decision: the session, a content dedupe key, decisionTime and decision.<status>", () => {
    const v = decisionApproved.verification;
    expect(parseOk(veriff, config, inbound(decisionApproved))).toEqual({
      caseId: v.id,
      dedupeKey: dedupeKey(["decision", v.id, v.attemptId, "approved", "9001", v.decisionTime]),
      providerEventId: null,
      eventType: "decision.approved",
      version: "2019-11-06T07:18:36.916Z",
      subject: "case",
      body: decisionApproved,
    });
  });

  it("event: the session, its attempt and action, no version", () => {
    expect(parseOk(veriff, config, inbound(eventSubmitted))).toEqual({
      caseId: "f04bdb47-d3be-4b28-b028-a652feb060b5",
      dedupeKey: dedupeKey(["event", "f04bdb47-d3be-4b28-b028-a652feb060b5", "e30122d1-740b-4764-853f-470374a7abf4", "submitted", "7002"]),
      providerEventId: null,
      eventType: "event.submitted",
      version: null,
      subject: "case",
      body: eventSubmitted,
    });
  });

  it("eventType webhooks: data.verification.id, time as the version", () => {
    expect(parseOk(veriff, config, inbound(userStatus))).toMatchObject({
      caseId: "a1c68aea-7f4d-478d-80ab-ca9356074f69",
      dedupeKey: dedupeKey(["user-status.created", "a1c68aea-7f4d-478d-80ab-ca9356074f69", "f2270684-8c51-4d03-88eb-dafd43e8b486", "2023-10-27T10:00:02.998Z"]),
      eventType: "user-status.created",
      version: "2023-10-27T10:00:02.998Z",
    });
  });

  it("a redelivered decision is the same event; a new decision is another", () => {
    const key = (j: unknown) => parseOk(veriff, config, inbound(j)).dedupeKey;
    expect(key(variant(decisionApproved, (j) => (j.technicalData.ip = "10.0.0.1")))).toBe(key(decisionApproved));
    expect(
      key(
        variant(decisionApproved, (j) => {
          j.verification.status = "declined";
          j.verification.code = 9102;
        }),
      ),
    ).not.toBe(key(decisionApproved));
  });

  it.each([
    ["verification.id", decisionApproved, (j: Json) => delete j.verification.id],
    ["id", eventSubmitted, (j: Json) => delete j.id],
    ["action", eventSubmitted, (j: Json) => delete j.action],
    ["data.verification.id", userStatus, (j: Json) => delete j.data.verification.id],
  ] as const)("reports a missing %s", (path, fixture, edit) => {
    expect(issuePaths(veriff, config, inbound(variant(fixture, edit)))).toEqual([path]);
  });
});

describe("veriff refetch", () => {
  let net: Network;
  beforeEach(() => (net = stubNetwork()));
  afterEach(() => net.restore());

  it("GETs the session's decision, signed with the HMAC of the session id", async () => {
    const id = decisionApproved.verification.id;
    const decision = { status: "success", verification: { id, status: "declined", code: 9102 } };
    net.on("https://stationapi.veriff.com/v1/sessions/", () => json(decision));
    expect(await refetchVia(veriff, config, id)).toEqual({ kind: "found", state: decision });
    expect(net.calls[0]).toMatchObject({ method: "GET", url: `https://stationapi.veriff.com/v1/sessions/${id}/decision` });
    expect(net.calls[0]!.headers["x-auth-client"]).toBe(API_KEY);
    expect(net.calls[0]!.headers["x-hmac-signature"]).toBe(await hmacHex(SECRET, id));
  });

  it("signs with the first secret of a rotation", async () => {
    const rotating = veriff.configSchema.parse({ api_key: API_KEY, secret: [NEXT, SECRET], api: {} });
    net.on("https://stationapi.veriff.com/", () => json({ status: "success", verification: null }));
    await refetchVia(veriff, rotating, "s1");
    expect(net.calls[0]!.headers["x-hmac-signature"]).toBe(await hmacHex(NEXT, "s1"));
  });

  it("reports an unknown session as gone, and does not refetch without api", async () => {
    net.on("https://stationapi.veriff.com/", () => json({ status: "fail", code: "1104" }, 404));
    expect(await refetchVia(veriff, config, "nope")).toEqual({ kind: "gone", httpStatus: 404 });
    const none = veriff.configSchema.parse({ api_key: API_KEY, secret: SECRET });
    expect(veriff.canRefetch(none)).toBe(false);
    expect(await refetchVia(veriff, none, "x")).toEqual({ kind: "none" });
  });
});

describe("veriff normalize", () => {
  const decision = (status: string | null) => ({ status: "success", verification: status === null ? null : { id: "s", status } });

  it.each([
    ["approved", "completed", "case.completed"],
    ["declined", "completed", "case.completed"],
    ["resubmission_requested", "action_required", "case.updated"],
    ["expired", "canceled", "case.canceled"],
    ["abandoned", "canceled", "case.canceled"],
    ["review", "in_progress", "case.updated"],
  ] as const)("decision %s -> %s", (status, expected, type) => {
    expect(normalizeAfterParse(veriff, config, inbound(decisionApproved), decision(status))).toEqual({
      type,
      status: expected,
      provider_status: status,
      check: null,
      terminal: ["completed", "canceled"].includes(expected),
      group: null,
    });
  });

  it("before there is a decision, the event's action says where the session is", () => {
    expect(normalizeAfterParse(veriff, config, inbound(eventSubmitted), decision(null))).toMatchObject({
      status: "in_progress",
      provider_status: "submitted",
      type: "case.updated",
    });
    const started = variant(eventSubmitted, (j) => {
      j.action = "started";
      j.code = 7001;
    });
    expect(normalizeAfterParse(veriff, config, inbound(started), decision(null))).toMatchObject({ status: "in_progress", provider_status: "started" });
  });

  it("reads the webhook's decision without an API", () => {
    expect(normalizeAfterParse(veriff, config, inbound(decisionApproved), null, false)).toMatchObject({
      status: "completed",
      type: "case.completed",
      provider_status: "approved",
    });
    expect(normalizeAfterParse(veriff, config, inbound(userStatus), null, false)).toMatchObject({ status: "in_progress", provider_status: null });
  });
});
