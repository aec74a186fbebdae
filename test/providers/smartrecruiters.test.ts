/** The smartrecruiters adapter against SmartRecruiters' documented notifications, signature example and handshake. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dedupeKey } from "../../src/providers/shared";
import { smartrecruiters } from "../../src/providers/smartrecruiters";
import type { HandshakeRequest } from "../../src/providers/types";
import applicationCreated from "../fixtures/smartrecruiters-application-created.json";
import statusUpdated from "../fixtures/smartrecruiters-application-status-updated.json";
import jobUpdated from "../fixtures/smartrecruiters-job-updated.json";
import { json, stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import { expectRefused, inbound, issuePaths, normalizeAfterParse, parseOk, refetchVia } from "../helpers/vendor";

const KEY = "sr-subscription-secret-key-9d8c7b6a";
const NEXT_KEY = "sr-subscription-secret-key-next-1a2b";
const API_KEY = "sr-smarttoken-4e5f6a7b8c9d0e1f2a3b";
const config = smartrecruiters.configSchema.parse({ secret: KEY, api: { api_key: API_KEY } });
const secrets = [KEY, NEXT_KEY, API_KEY];

type Fixture = { headers: Record<string, string>; body: unknown };

/** A notification as SmartRecruiters sends it, signed with `keys` (one v1 per active key) at `ts`. */
async function notification(f: Fixture, keys: string[] = [KEY], ts = f.headers["smartrecruiters-timestamp"]!) {
  const raw = JSON.stringify(f.body);
  const h: Record<string, string> = { ...f.headers, "smartrecruiters-timestamp": ts };
  const content = [ts, raw, h["event-id"] ?? "", h["event-name"] ?? "", h["event-version"] ?? "", h.link ?? ""].join(".");
  const signature = (await Promise.all(keys.map(async (k) => `v1=${await hmacHex(k, content)}`))).join(";");
  return inbound(f.body, { ...h, "smartrecruiters-signature": signature }, { raw, now: Number(ts) });
}

describe("smartrecruiters config", () => {
  it("needs signature keys or callback authentication", () => {
    expect(smartrecruiters.configSchema.safeParse({ api: { api_key: API_KEY } }).success).toBe(false);
    expect(smartrecruiters.configSchema.safeParse({ callback_auth: { scheme: "token", header: "x-relay-token", tokens: ["t0k3n-0123456789"] } }).success).toBe(
      true,
    );
    expect(config).toMatchObject({ case_id: "link", api: { base_url: "https://api.smartrecruiters.com" } });
  });

  it("acknowledges with 202, as SmartRecruiters expects", () => {
    expect(smartrecruiters.ackStatus).toBe(202);
  });
});

describe("smartrecruiters verify", () => {
  it("accepts the published example (its key, headers, body and signature)", async () => {
    const req = inbound(applicationCreated.body, applicationCreated.headers, { raw: JSON.stringify(applicationCreated.body), now: 1574080897 });
    expect(await smartrecruiters.verify(req, { ...config, secret: ["HeBVky2bccvvkcXPimH8c"] })).toEqual({ ok: true });
  });

  it("accepts a notification signed with several active keys when one of ours is among them", async () => {
    expect(await smartrecruiters.verify(await notification(statusUpdated, [NEXT_KEY, KEY]), config)).toEqual({ ok: true });
    const rotated = smartrecruiters.configSchema.parse({ secret: [NEXT_KEY, KEY] });
    expect(await smartrecruiters.verify(await notification(statusUpdated, [NEXT_KEY]), rotated)).toEqual({ ok: true });
  });

  it("refuses another key, a tampered body or header, an old timestamp and a missing signature", async () => {
    expectRefused(await smartrecruiters.verify(await notification(statusUpdated, [NEXT_KEY]), config), /smartrecruiters-signature does not match/, secrets);
    const req = await notification(statusUpdated);
    expectRefused(await smartrecruiters.verify({ ...req, rawBody: req.rawBody.replace("5e3d", "6e3d") }, config), /does not match/, secrets);
    const moved = new Headers(req.headers);
    moved.set("link", "<https://api.smartrecruiters.com/jobs/1/candidates/2>; rel=self");
    expectRefused(await smartrecruiters.verify({ ...req, headers: moved }, config), /does not match/, secrets);
    expectRefused(await smartrecruiters.verify({ ...req, now: req.now + 301 }, config), /smartrecruiters-timestamp is outside the 5-minute tolerance/, secrets);
    const unsigned = new Headers(req.headers);
    unsigned.delete("smartrecruiters-signature");
    expectRefused(await smartrecruiters.verify({ ...req, headers: unsigned }, config), /missing smartrecruiters-signature header/, secrets);
  });

  it("checks the subscription's callback authentication as well when configured", async () => {
    const both = smartrecruiters.configSchema.parse({
      secret: KEY,
      callback_auth: { scheme: "token", header: "x-relay-token", tokens: ["relay-t0k3n-0123456789"] },
    });
    const req = await notification(jobUpdated);
    expectRefused(await smartrecruiters.verify(req, both), /missing x-relay-token header/, secrets);
    const withToken = new Headers(req.headers);
    withToken.set("x-relay-token", "relay-t0k3n-0123456789");
    expect(await smartrecruiters.verify({ ...req, headers: withToken }, both)).toEqual({ ok: true });
    const tokenOnly = smartrecruiters.configSchema.parse({ callback_auth: { scheme: "token", header: "x-relay-token", tokens: ["relay-t0k3n-0123456789"] } });
    expect(await smartrecruiters.verify({ ...inbound(jobUpdated.body, jobUpdated.headers), headers: withToken }, tokenOnly)).toEqual({ ok: true });
  });
});

describe("smartrecruiters handshake", () => {
  const hs = (headers: Record<string, string>): HandshakeRequest => ({
    method: "POST",
    headers: new Headers(headers),
    query: new URLSearchParams(),
    rawBody: "",
    now: 0,
  });

  it("echoes X-Hook-Secret, and leaves notifications alone", async () => {
    expect(await smartrecruiters.handshake!(hs({ "x-hook-secret": "4jn8fs9011jj8" }), config)).toEqual({
      status: 200,
      headers: { "x-hook-secret": "4jn8fs9011jj8" },
    });
    expect(await smartrecruiters.handshake!(hs(statusUpdated.headers), config)).toBeNull();
  });
});

describe("smartrecruiters parse", () => {
  it("makes the linked resource the case: its path on the API host", async () => {
    expect(parseOk(smartrecruiters, config, await notification(statusUpdated))).toEqual({
      caseId: "/jobs/743999999990053/candidates/5e3d4c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
      dedupeKey: dedupeKey(["8c6f5a4e-2b1d-4c3a-9e8f-7a6b5c4d3e2f"]),
      providerEventId: "8c6f5a4e-2b1d-4c3a-9e8f-7a6b5c4d3e2f",
      eventType: "application.status.updated",
      version: null,
      subject: "case",
      body: statusUpdated.body,
    });
    expect(parseOk(smartrecruiters, config, await notification(jobUpdated))).toMatchObject({ caseId: "/jobs/743999999990053", eventType: "job.updated" });
  });

  it("takes the body's ids when the link is on another host (the published example), and never a path then", async () => {
    expect(parseOk(smartrecruiters, config, await notification(applicationCreated))).toMatchObject({
      caseId: "jid/cid",
      dedupeKey: dedupeKey(["123"]),
      eventType: "application.created",
      version: null,
    });
  });

  it("takes the body's id when configured so", async () => {
    const byBody = smartrecruiters.configSchema.parse({ secret: KEY, case_id: "body" });
    expect(parseOk(smartrecruiters, byBody, await notification(jobUpdated)).caseId).toBe("743999999990053");
    expect(smartrecruiters.canRefetch(byBody)).toBe(false);
  });

  it("dedupes on name, case and body without an event-id", async () => {
    const { "event-id": _, ...headers } = jobUpdated.headers;
    const event = parseOk(smartrecruiters, config, inbound(jobUpdated.body, headers));
    expect(event.providerEventId).toBeNull();
    expect(event.dedupeKey).toBe(parseOk(smartrecruiters, config, inbound(jobUpdated.body, headers)).dedupeKey);
    expect(event.dedupeKey).not.toBe(parseOk(smartrecruiters, config, inbound({ id: "other" }, headers)).dedupeKey);
  });

  it("names what is missing", () => {
    const { "event-name": _, ...noName } = jobUpdated.headers;
    expect(issuePaths(smartrecruiters, config, inbound(jobUpdated.body, noName))).toEqual(["headers.event-name"]);
    const { link: __, ...noLink } = jobUpdated.headers;
    expect(issuePaths(smartrecruiters, config, inbound({}, noLink))).toEqual(["headers.link"]);
    expect(issuePaths(smartrecruiters, config, inbound([1], jobUpdated.headers))).toEqual(["(root)"]);
  });

  it("never takes a path from the body: only a link on the API host makes one", () => {
    const offHost = { ...jobUpdated.headers, link: "<https://elsewhere.example.com/jobs/1>; rel=self" };
    expect(issuePaths(smartrecruiters, config, inbound({ id: "/admin/users" }, offHost))).toEqual(["id"]);
    const byBody = smartrecruiters.configSchema.parse({ secret: KEY, case_id: "body", api: { api_key: API_KEY } });
    expect(issuePaths(smartrecruiters, byBody, inbound({ id: "/admin/users" }, jobUpdated.headers))).toEqual(["id"]);
  });
});

describe("smartrecruiters refetch", () => {
  let net: Network;
  beforeEach(() => (net = stubNetwork()));
  afterEach(() => net.restore());

  it("follows the link on the configured host with X-SmartToken", async () => {
    const state = { status: "INTERVIEW", candidate: { id: "5e3d" } };
    net.on("https://api.smartrecruiters.com/jobs/", () => json(state));
    const caseId = parseOk(smartrecruiters, config, await notification(statusUpdated)).caseId;
    expect(await refetchVia(smartrecruiters, config, caseId)).toEqual({ kind: "found", state });
    expect(net.calls[0]).toMatchObject({ method: "GET", url: `https://api.smartrecruiters.com${caseId}` });
    expect(net.calls[0]!.headers["x-smarttoken"]).toBe(API_KEY);
  });

  it("does not refetch a case whose link was on another host", async () => {
    expect(await refetchVia(smartrecruiters, config, "jid/cid")).toEqual({ kind: "none" });
    expect(net.calls).toHaveLength(0);
  });

  it("reports 404 as gone", async () => {
    net.on("https://api.smartrecruiters.com/", () => json({ message: "Not found" }, 404));
    expect(await refetchVia(smartrecruiters, config, "/jobs/1")).toEqual({ kind: "gone", httpStatus: 404 });
  });
});

describe("smartrecruiters normalize", () => {
  it.each([
    [{ status: "INTERVIEW" }, "in_progress", "INTERVIEW"],
    [{ status: "HIRED" }, "completed", "HIRED"],
    [{ status: "REJECTED" }, "completed", "REJECTED"],
    [{ status: "WITHDRAWN" }, "canceled", "WITHDRAWN"],
    [{ status: { status: "FILLED" } }, "completed", "FILLED"],
    [{ status: "CANCELLED" }, "canceled", "CANCELLED"],
    [{ name: "no status" }, "in_progress", "application.status.updated"],
  ] as const)("state %j -> %s", async (state, status, providerStatus) => {
    expect(normalizeAfterParse(smartrecruiters, config, await notification(statusUpdated), state)).toMatchObject({
      status,
      provider_status: providerStatus,
      check: null,
      group: null,
    });
  });

  it("makes *.created case.created and *.deleted case.deleted", async () => {
    expect(normalizeAfterParse(smartrecruiters, config, await notification(applicationCreated), null, false)).toMatchObject({
      type: "case.created",
      status: "in_progress",
    });
    const deleted = { ...jobUpdated, headers: { ...jobUpdated.headers, "event-name": "position.deleted" } };
    expect(normalizeAfterParse(smartrecruiters, config, await notification(deleted), null)).toMatchObject({
      type: "case.deleted",
      status: "deleted",
      terminal: true,
    });
  });
});
