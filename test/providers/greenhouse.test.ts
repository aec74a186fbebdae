/** The greenhouse adapter against Greenhouse's documented web hooks, signature and Harvest API. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { greenhouse } from "../../src/providers/greenhouse";
import { contentHash, dedupeKey } from "../../src/providers/shared";
import type { HandshakeRequest } from "../../src/providers/types";
import deleteApplication from "../fixtures/greenhouse-delete-application.json";
import hireCandidate from "../fixtures/greenhouse-hire-candidate.json";
import offerCreated from "../fixtures/greenhouse-offer-created.json";
import rejectCandidate from "../fixtures/greenhouse-reject-candidate.json";
import stageChange from "../fixtures/greenhouse-candidate-stage-change.json";
import { json, stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import { basicOf, expectRefused, inbound, issuePaths, normalizeAfterParse, NOW, parseOk, refetchVia, variant, type Json } from "../helpers/vendor";

const SECRET = "greenhouse-web-hook-secret-7c1d9e2f";
const TOKEN = "harvest-token-2f8e4a6b1c3d5e7f9a0b";
const config = greenhouse.configSchema.parse({ secret: SECRET, api: { api_key: TOKEN } });
const EVENT_ID = "3ce5180d-9119-4ddc-9ef6-21edb6e76f8a";

const signed = async (body: unknown, opts: { secret?: string; raw?: string; eventId?: string | null } = {}) => {
  const raw = opts.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { signature: `sha256 ${await hmacHex(opts.secret ?? SECRET, raw)}` };
  if (opts.eventId !== null) headers["greenhouse-event-id"] = opts.eventId ?? EVENT_ID;
  return inbound(body, headers, { raw });
};

describe("greenhouse verify", () => {
  it('accepts "sha256 <hex>" of the body as sent, Unicode escapes included', async () => {
    // Greenhouse escapes "<p>" as \u003cp\u003e and signs those bytes: re-serializing would not verify.
    const raw = '{"action":"job_post_updated","payload":{"content":"\\u003cp\\u003ehello\\u003c/p\\u003e"}}';
    const req = await signed(JSON.parse(raw), { raw });
    expect(await greenhouse.verify(req, config)).toEqual({ ok: true });
    expect(JSON.stringify(req.json)).not.toBe(raw);
  });

  it("refuses another secret, a tampered body, another scheme word and a missing header", async () => {
    const req = await signed(stageChange);
    expectRefused(await greenhouse.verify(await signed(stageChange, { secret: "someone-elses-secret-000000" }), config), /signature does not match/, [SECRET]);
    expectRefused(await greenhouse.verify({ ...req, rawBody: req.rawBody.replace("Assessment", "Offer") }, config), /does not match/, [SECRET]);
    expectRefused(
      await greenhouse.verify({ ...req, headers: new Headers({ signature: req.headers.get("signature")!.replace("sha256", "sha1") }) }, config),
      /not "sha256 <signature>"/,
      [SECRET],
    );
    expectRefused(await greenhouse.verify(inbound(stageChange), config), /missing signature header/, [SECRET]);
  });

  it("accepts either secret while one rotates", async () => {
    const rotating = greenhouse.configSchema.parse({ secret: [SECRET, "greenhouse-old-secret-4b5c6d7e8f"] });
    expect(await greenhouse.verify(await signed(stageChange, { secret: "greenhouse-old-secret-4b5c6d7e8f" }), rotating)).toEqual({ ok: true });
  });
});

describe("greenhouse ping", () => {
  const ping = async (body: unknown, secret = SECRET, withSignature = true): Promise<HandshakeRequest> => {
    const raw = JSON.stringify(body);
    const headers: Record<string, string> = withSignature ? { signature: `sha256 ${await hmacHex(secret, raw)}` } : {};
    return { method: "POST", headers: new Headers(headers), query: new URLSearchParams(), rawBody: raw, now: NOW };
  };

  it("answers a signed ping 200 (action ping, or a settings payload without an action)", async () => {
    expect(await greenhouse.handshake!(await ping({ action: "ping", payload: { web_hook_id: 1 } }), config)).toMatchObject({ status: 200 });
    expect(await greenhouse.handshake!(await ping({ web_hook: { name: "relay" } }), config)).toMatchObject({ status: 200 });
  });

  it("leaves a badly signed ping, and every event, to the ordinary path", async () => {
    expect(await greenhouse.handshake!(await ping({ action: "ping" }, "wrong-secret-0123456789abcdef"), config)).toBeNull();
    expect(await greenhouse.handshake!(await ping({ action: "ping" }, SECRET, false), config)).toBeNull();
    expect(await greenhouse.handshake!(await ping(stageChange), config)).toBeNull();
    expect(await greenhouse.handshake!({ ...(await ping({ action: "ping" })), rawBody: "not json" }, config)).toBeNull();
  });
});

describe("greenhouse parse", () => {
  it.each([
    ["candidate-stage-change", stageChange, "265277", "candidate_stage_change", "2015-02-09T16:38:36Z"],
    ["hire-candidate", hireCandidate, "46194062", "hire_candidate", null],
    ["reject-candidate", rejectCandidate, "265293", "reject_candidate", "2015-02-11T15:50:41Z"],
    ["offer-created", offerCreated, "234556", "offer_created", null],
    ["delete-application", deleteApplication, "46194062", "delete_application", null],
  ] as const)("%s: case id, dedupe key, version and type", async (_, fixture, caseId, type, version) => {
    expect(parseOk(greenhouse, config, await signed(fixture))).toEqual({
      caseId,
      dedupeKey: dedupeKey([EVENT_ID]),
      providerEventId: EVENT_ID,
      eventType: type,
      version,
      subject: "case",
      body: fixture,
    });
  });

  it("reads offer_deleted's application inside its offer", async () => {
    const offerDeleted = { action: "offer_deleted", payload: { offer: { id: 506406, application_id: 46194062, offer_status: "Created" } } };
    expect(parseOk(greenhouse, config, await signed(offerDeleted)).caseId).toBe("46194062");
  });

  it("dedupes on content when configured, or when the event id header is missing", async () => {
    const byContent = greenhouse.configSchema.parse({ secret: SECRET, dedupe: "content" });
    const expected = dedupeKey(["candidate_stage_change", "265277", "2015-02-09T16:38:36Z", contentHash(stageChange.payload)]);
    expect(parseOk(greenhouse, byContent, await signed(stageChange)).dedupeKey).toBe(expected);
    expect(parseOk(greenhouse, config, await signed(stageChange, { eventId: null })).dedupeKey).toBe(expected);
    // Two deliveries with different event ids are still one event by content.
    expect(parseOk(greenhouse, byContent, await signed(stageChange, { eventId: "another" })).dedupeKey).toBe(expected);
  });

  it("refuses events that are not about an application, naming what is missing", async () => {
    const deleteCandidate = { action: "delete_candidate", payload: { person: { id: 37031511 } } };
    expect(issuePaths(greenhouse, config, await signed(deleteCandidate))).toEqual(["payload.application.id"]);
    expect(issuePaths(greenhouse, config, await signed(variant(stageChange, (j: Json) => delete j.action)))).toContain("action");
    expect(issuePaths(greenhouse, config, await signed(variant(stageChange, (j: Json) => delete j.payload)))).toContain("payload");
  });
});

describe("greenhouse refetch", () => {
  let net: Network;
  beforeEach(() => (net = stubNetwork()));
  afterEach(() => net.restore());

  it("GETs the Harvest application with Basic auth: the token as username, a blank password", async () => {
    const application = { id: 265277, status: "active", current_stage: { id: 71416, name: "Assessment" } };
    net.on("https://harvest.greenhouse.io/v1/applications/", () => json(application));
    expect(await refetchVia(greenhouse, config, "265277")).toEqual({ kind: "found", state: application });
    expect(net.calls[0]).toMatchObject({ method: "GET", url: "https://harvest.greenhouse.io/v1/applications/265277" });
    expect(basicOf(net.calls[0]!.headers.authorization)).toEqual([TOKEN, ""]);
  });

  it("reports a deleted application as gone", async () => {
    net.on("https://harvest.greenhouse.io/", () => json({ message: "Resource not found" }, 404));
    expect(await refetchVia(greenhouse, config, "46194062")).toEqual({ kind: "gone", httpStatus: 404 });
  });

  it("without api, does not refetch", async () => {
    const none = greenhouse.configSchema.parse({ secret: SECRET });
    expect(greenhouse.canRefetch(none)).toBe(false);
    expect(await refetchVia(greenhouse, none, "1")).toEqual({ kind: "none" });
  });
});

describe("greenhouse normalize", () => {
  const app = (status: string, stage = "Assessment") => ({ id: 265277, status, current_stage: { id: 1, name: stage } });

  it.each([
    ["active", "in_progress", "case.updated"],
    ["hired", "completed", "case.completed"],
    ["rejected", "completed", "case.completed"],
    ["converted", "completed", "case.completed"],
    ["unknown", "in_progress", "case.updated"],
  ] as const)("application %s -> %s", async (status, expected, type) => {
    expect(normalizeAfterParse(greenhouse, config, await signed(stageChange), app(status))).toEqual({
      type,
      status: expected,
      provider_status: `${status} / Assessment`,
      check: null,
      terminal: expected === "completed",
      group: null,
    });
  });

  it("without an API, reads the payload's application, and hire_candidate implies hired", async () => {
    expect(normalizeAfterParse(greenhouse, config, await signed(stageChange), null, false)).toMatchObject({
      status: "in_progress",
      provider_status: "active / Assessment",
    });
    expect(normalizeAfterParse(greenhouse, config, await signed(rejectCandidate), null, false)).toMatchObject({ status: "completed", type: "case.completed" });
    expect(normalizeAfterParse(greenhouse, config, await signed(hireCandidate), null, false)).toMatchObject({ status: "completed", provider_status: "hired" });
  });

  it("makes a new application case.created and a deleted one case.deleted", async () => {
    const created = variant(stageChange, (j) => (j.action = "new_candidate_application"));
    expect(normalizeAfterParse(greenhouse, config, await signed(created), app("active"))).toMatchObject({ type: "case.created" });
    expect(normalizeAfterParse(greenhouse, config, await signed(deleteApplication), null)).toMatchObject({
      type: "case.deleted",
      status: "deleted",
      terminal: true,
    });
  });
});
