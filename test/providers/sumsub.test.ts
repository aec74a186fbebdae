/** The sumsub adapter against Sumsub's documented webhooks, X-Payload-Digest and signed API requests. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dedupeKey } from "../../src/providers/shared";
import { sumsub } from "../../src/providers/sumsub";
import applicantPending from "../fixtures/sumsub-applicant-pending.json";
import rejectedRetry from "../fixtures/sumsub-applicant-rejected-retry.json";
import applicantReviewed from "../fixtures/sumsub-applicant-reviewed.json";
import { json, stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import { expectRefused, inbound, issuePaths, normalizeAfterParse, parseOk, refetchVia, variant, type Json } from "../helpers/vendor";

const SECRET = "sumsub-webhook-secret-key-6b7c8d9e0f";
const APP_TOKEN = "sbx:uY0CgwELmgUAEyl4hNWxLngb.0WSeQeiYny4WEqmAALEAiK2qTC96fBad";
const APP_SECRET = "Hej2ch71kG2kTd1iIUDZFNsO5C1lh5Gq";
const config = sumsub.configSchema.parse({ secret: SECRET, api: { token: APP_TOKEN, secret: APP_SECRET } });
const secrets = [SECRET, APP_SECRET];

async function signed(body: unknown, alg: "HMAC_SHA256_HEX" | "HMAC_SHA512_HEX" | null = "HMAC_SHA256_HEX", secret = SECRET) {
  const raw = JSON.stringify(body);
  const headers: Record<string, string> = { "x-payload-digest": await hmacHex(secret, raw, alg === "HMAC_SHA512_HEX" ? "sha512" : "sha256") };
  if (alg) headers["x-payload-digest-alg"] = alg;
  return inbound(body, headers, { raw });
}

describe("sumsub verify", () => {
  it.each(["HMAC_SHA256_HEX", "HMAC_SHA512_HEX"] as const)("accepts a digest made with %s", async (alg) => {
    expect(await sumsub.verify(await signed(applicantReviewed, alg), config)).toEqual({ ok: true });
  });

  it("takes SHA-256 when X-Payload-Digest-Alg is absent", async () => {
    expect(await sumsub.verify(await signed(applicantReviewed, null), config)).toEqual({ ok: true });
  });

  it("refuses another secret, a tampered body, a mismatched or unknown algorithm and a missing digest", async () => {
    expectRefused(
      await sumsub.verify(await signed(applicantReviewed, "HMAC_SHA256_HEX", "another-webhook-secret-0123"), config),
      /x-payload-digest does not match/,
      secrets,
    );
    const req = await signed(applicantReviewed);
    expectRefused(await sumsub.verify({ ...req, rawBody: req.rawBody.replace("GREEN", "RED") }, config), /does not match/, secrets);
    const mislabeled = await signed(applicantReviewed, "HMAC_SHA512_HEX");
    mislabeled.headers.set("x-payload-digest-alg", "HMAC_SHA256_HEX");
    expectRefused(await sumsub.verify(mislabeled, config), /does not match/, secrets);
    const sha1 = await signed(applicantReviewed);
    sha1.headers.set("x-payload-digest-alg", "HMAC_SHA1_HEX");
    expectRefused(await sumsub.verify(sha1, config), /names an algorithm other than/, secrets);
    expectRefused(await sumsub.verify(inbound(applicantReviewed), config), /missing x-payload-digest header/, secrets);
  });

  it("accepts either webhook secret while one rotates", async () => {
    const rotating = sumsub.configSchema.parse({ secret: ["sumsub-next-webhook-secret-1234", SECRET] });
    expect(await sumsub.verify(await signed(applicantReviewed), rotating)).toEqual({ ok: true });
  });
});

describe("sumsub parse", () => {
  it.each([
    ["applicant-reviewed", applicantReviewed, "req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4", "applicantReviewed", "2020-02-21T13:23:19.321Z"],
    ["applicant-pending", applicantPending, "req-63f92830-4d68-4eee-98d5-875d53a12258", "applicantPending", "2020-02-21T13:23:16.001Z"],
    ["applicant-rejected-retry", rejectedRetry, "req-fa94263f-0b23-42d7-9393-ab10b28ef42d", "applicantReviewed", "2020-02-21T13:23:19.001Z"],
  ] as const)("%s: case id, dedupe key, version and type", (_, fixture, correlationId, type, version) => {
    expect(parseOk(sumsub, config, inbound(fixture))).toEqual({
      caseId: "5cb56e8e0a975a35f333cb83",
      dedupeKey: dedupeKey([correlationId]),
      providerEventId: correlationId,
      eventType: type,
      version,
      subject: "case",
      body: fixture,
    });
  });

  it("versions compare as instants: createdAtMs becomes ISO 8601 (UTC), other forms are kept", () => {
    const versionOf = (createdAtMs: unknown) => parseOk(sumsub, config, inbound(variant(applicantPending, (j) => (j.createdAtMs = createdAtMs)))).version;
    expect(versionOf("2021-05-14 16:00:25.032")).toBe("2021-05-14T16:00:25.032Z");
    expect(versionOf("2021-05-14 16:00:25")).toBe("2021-05-14T16:00:25Z");
    expect(versionOf(1621008025032)).toBe("1621008025032");
    expect(versionOf(null)).toBeNull();
  });

  it("without a correlationId, dedupes on what changed and when", () => {
    const bare = variant(applicantPending, (j) => delete j.correlationId);
    expect(parseOk(sumsub, config, inbound(bare)).dedupeKey).toBe(
      dedupeKey(["applicantPending", "5cb56e8e0a975a35f333cb83", null, "pending", "2020-02-21T13:23:16.001Z"]),
    );
  });

  it("makes an applicant action webhook an event about that action", () => {
    const action = variant(applicantPending, (j) => {
      j.type = "applicantActionPending";
      j.applicantActionId = "63e3d3a0f4a3b25c1e7c4c1e";
    });
    expect(parseOk(sumsub, config, inbound(action)).subject).toBe("check:63e3d3a0f4a3b25c1e7c4c1e");
  });

  it.each([
    ["applicantId", (j: Json) => delete j.applicantId],
    ["type", (j: Json) => delete j.type],
  ])("reports a missing %s", (path, edit) => {
    expect(issuePaths(sumsub, config, inbound(variant(applicantReviewed, edit)))).toContain(path);
  });
});

describe("sumsub refetch", () => {
  let net: Network;
  beforeEach(() => (net = stubNetwork()));
  afterEach(() => {
    net.restore();
    vi.useRealTimers();
  });

  it("GETs the applicant's status with X-App-Token, X-App-Access-Ts and X-App-Access-Sig = HMAC(ts + GET + path)", async () => {
    vi.useFakeTimers({ now: 1_700_000_000_123, toFake: ["Date"] });
    const status = { reviewStatus: "completed", reviewResult: { reviewAnswer: "GREEN" }, levelName: "basic-kyc-level" };
    net.on("https://api.sumsub.com/resources/applicants/", () => json(status));
    expect(await refetchVia(sumsub, config, "5cb56e8e0a975a35f333cb83")).toEqual({ kind: "found", state: status });
    const [call] = net.calls;
    expect(call).toMatchObject({ method: "GET", url: "https://api.sumsub.com/resources/applicants/5cb56e8e0a975a35f333cb83/status" });
    expect(call!.headers["x-app-token"]).toBe(APP_TOKEN);
    expect(call!.headers["x-app-access-ts"]).toBe("1700000000");
    expect(call!.headers["x-app-access-sig"]).toBe(await hmacHex(APP_SECRET, "1700000000GET/resources/applicants/5cb56e8e0a975a35f333cb83/status"));
  });

  it("signs the path as sent, with the id encoded", async () => {
    net.on("https://api.sumsub.com/", () => json({}));
    await refetchVia(sumsub, config, "a b");
    const call = net.calls[0]!;
    expect(new URL(call.url).pathname).toBe("/resources/applicants/a%20b/status");
    expect(call.headers["x-app-access-sig"]).toBe(await hmacHex(APP_SECRET, `${call.headers["x-app-access-ts"]}GET/resources/applicants/a%20b/status`));
  });

  it("reports a deleted applicant as gone, and does not refetch without api", async () => {
    net.on("https://api.sumsub.com/", () => json({ description: "Applicant not found", code: 404 }, 404));
    expect(await refetchVia(sumsub, config, "x")).toEqual({ kind: "gone", httpStatus: 404 });
    const none = sumsub.configSchema.parse({ secret: SECRET });
    expect(sumsub.canRefetch(none)).toBe(false);
    expect(await refetchVia(sumsub, none, "x")).toEqual({ kind: "none" });
  });
});

describe("sumsub normalize", () => {
  const status = (reviewStatus: string, reviewResult?: object) => ({ reviewStatus, ...(reviewResult ? { reviewResult } : {}) });

  it.each([
    [status("init"), "pending", "init"],
    [status("pending"), "in_progress", "pending"],
    [status("prechecked"), "in_progress", "prechecked"],
    [status("queued"), "in_progress", "queued"],
    [status("awaitingService"), "in_progress", "awaitingService"],
    [status("onHold"), "action_required", "onHold"],
    [status("completed", { reviewAnswer: "GREEN" }), "completed", "completed / GREEN"],
    [status("completed", { reviewAnswer: "RED", reviewRejectType: "FINAL" }), "completed", "completed / RED / FINAL"],
    [status("completed", { reviewAnswer: "RED", reviewRejectType: "RETRY" }), "action_required", "completed / RED / RETRY"],
  ] as const)("%j -> %s", (state, expected, providerStatus) => {
    expect(normalizeAfterParse(sumsub, config, inbound(applicantReviewed), state)).toEqual({
      type: expected === "completed" ? "case.completed" : "case.updated",
      status: expected,
      provider_status: providerStatus,
      check: null,
      terminal: expected === "completed",
      group: "basic-kyc-level",
    });
  });

  it("reads the webhook's own review without an API", () => {
    expect(normalizeAfterParse(sumsub, config, inbound(applicantReviewed), null, false)).toMatchObject({
      status: "completed",
      provider_status: "completed / GREEN",
    });
    expect(normalizeAfterParse(sumsub, config, inbound(rejectedRetry), null, false)).toMatchObject({
      status: "action_required",
      provider_status: "completed / RED / RETRY",
    });
  });

  it("makes applicantCreated case.created and applicantDeleted case.deleted", () => {
    const created = variant(applicantPending, (j) => {
      j.type = "applicantCreated";
      j.reviewStatus = "init";
    });
    expect(normalizeAfterParse(sumsub, config, inbound(created), status("init"))).toMatchObject({ type: "case.created", status: "pending" });
    const deleted = variant(applicantPending, (j) => (j.type = "applicantDeleted"));
    expect(normalizeAfterParse(sumsub, config, inbound(deleted), null)).toMatchObject({ type: "case.deleted", status: "deleted", terminal: true });
  });

  it("makes an action webhook check.updated with the action's review", () => {
    const action = variant(applicantReviewed, (j) => {
      j.type = "applicantActionReviewed";
      j.applicantActionId = "63e3d3a0f4a3b25c1e7c4c1e";
    });
    expect(normalizeAfterParse(sumsub, config, inbound(action), status("pending"))).toMatchObject({
      type: "check.updated",
      status: "in_progress",
      check: { id: "63e3d3a0f4a3b25c1e7c4c1e", status: "completed", provider_status: "completed / GREEN" },
    });
  });
});
