/** Activation handshakes at the ingest URL: answered, never queued; and a provider's own success status. */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { request } from "../helpers/api";
import { createCustomer, createSource, sampleConfigs } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { hmacHex } from "../helpers/sign";
import greenhouseStage from "../fixtures/greenhouse-candidate-stage-change.json";
import srJobUpdated from "../fixtures/smartrecruiters-job-updated.json";

let sends: ReturnType<typeof vi.spyOn>;
let net: Network;
beforeEach(() => {
  sends = vi.spyOn(env.INBOX, "send");
  // Processing runs in the background; provider APIs are down so nothing but ingest is exercised.
  net = stubNetwork();
});
afterEach(() => {
  sends.mockRestore();
  net.restore();
});

const post = (sourceId: string, raw: string, headers: Record<string, string> = {}) => request("POST", `/in/${sourceId}`, { token: null, raw, headers });
const get = (path: string) => request("GET", path, { token: null });

async function standardSource(handshake: Record<string, unknown>) {
  const c = await createCustomer();
  const config = { ...sampleConfigs.standard(), handshake };
  return createSource(c.id, "standard", config);
}

describe("echoed header", () => {
  it("answers a POST carrying the header with it echoed, whatever its body, and queues nothing", async () => {
    const s = await standardSource({ echo_header: "X-Hook-Secret" });
    for (const body of ["", "not json"]) {
      const res = await post(s.id, body, { "x-hook-secret": "4jn8fs9011jj8" });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-hook-secret")).toBe("4jn8fs9011jj8");
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    expect(sends).not.toHaveBeenCalled();
  });

  it("leaves any other POST to ordinary ingest (here: refused without the source's token)", async () => {
    const s = await standardSource({ echo_header: "X-Hook-Secret" });
    const res = await post(s.id, JSON.stringify({ id: "e1", case: { id: "c1" } }), { "content-type": "application/json" });
    expect(res.status).toBe(401);
    expect(sends).not.toHaveBeenCalled();
  });
});

describe("GET challenge", () => {
  it("answers the challenge as text, refuses a wrong verify token, and nothing is queued", async () => {
    const s = await standardSource({
      get_challenge: { param: "hub.challenge", verify_token: { param: "hub.verify_token", tokens: ["verify-0123456789abcdef"] } },
    });
    const ok = await get(`/in/${s.id}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-0123456789abcdef`);
    expect(ok.status).toBe(200);
    expect(ok.text).toBe("1158201444");
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(ok.headers.get("x-content-type-options")).toBe("nosniff");
    const wrong = await get(`/in/${s.id}?hub.challenge=1158201444&hub.verify_token=guess`);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: "unauthorized", message: "Handshake refused: hub.verify_token is not a valid token for this source." });
    expect(wrong.text).not.toContain("verify-0123456789abcdef");
    expect(sends).not.toHaveBeenCalled();
  });

  it("answers 404 to a GET that is not a challenge, to a source without one and to an unknown source", async () => {
    const s = await standardSource({ get_challenge: { param: "challenge" } });
    const plain = await get(`/in/${s.id}`);
    expect(plain.status).toBe(404);
    expect(plain.body.error.message).toMatch(/answers no GET challenge/);
    const c = await createCustomer();
    const tw = await createSource(c.id, "truework");
    expect((await get(`/in/${tw.id}?challenge=abc`)).status).toBe(404);
    expect((await get("/in/src_00000000000000000000000000?challenge=abc")).status).toBe(404);
    expect((await get("/in/not-a-source?challenge=abc")).status).toBe(404);
  });
});

describe("smartrecruiters at the ingest URL", () => {
  it("echoes X-Hook-Secret on activation and acknowledges a signed notification with 202", async () => {
    const c = await createCustomer();
    // No API: what happens after the ack (a refetch) is not this test's business.
    const { api: _api, ...config } = sampleConfigs.smartrecruiters();
    const s = await createSource(c.id, "smartrecruiters", config);
    const activation = await post(s.id, "", { "x-hook-secret": "a1b2c3d4e5" });
    expect(activation.status).toBe(200);
    expect(activation.headers.get("x-hook-secret")).toBe("a1b2c3d4e5");
    expect(sends).not.toHaveBeenCalled();

    const raw = JSON.stringify(srJobUpdated.body);
    const ts = String(Math.floor(Date.now() / 1000));
    const h = { ...srJobUpdated.headers, "smartrecruiters-timestamp": ts };
    const signature = await hmacHex(config.secret[1]!, [ts, raw, h["event-id"], h["event-name"], h["event-version"], h.link].join("."));
    const res = await post(s.id, raw, { ...h, "smartrecruiters-signature": `v1=${"0".repeat(64)};v1=${signature}` });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ received: true, id: expect.stringMatching(/^rcv_/) });
    expect(sends).toHaveBeenCalledTimes(1);
    expect(sends.mock.calls[0]![0]).toMatchObject({
      case_id: "/jobs/743999999990053",
      event_type: "job.updated",
      provider_event_id: srJobUpdated.headers["event-id"],
    });
  });
});

describe("greenhouse at the ingest URL", () => {
  it("answers a signed ping 200 without queuing it, refuses a badly signed one, and relays events", async () => {
    const c = await createCustomer();
    const { api: _api, ...config } = sampleConfigs.greenhouse();
    const s = await createSource(c.id, "greenhouse", config);
    const ping = JSON.stringify({ action: "ping", payload: { web_hook_id: 1 } });
    const ok = await post(s.id, ping, { "content-type": "application/json", signature: `sha256 ${await hmacHex(config.secret, ping)}` });
    expect(ok.status).toBe(200);
    expect(sends).not.toHaveBeenCalled();
    const forged = await post(s.id, ping, { "content-type": "application/json", signature: `sha256 ${await hmacHex("not-the-secret-0123456789", ping)}` });
    expect(forged.status).toBe(401);

    const event = JSON.stringify(greenhouseStage);
    const res = await post(s.id, event, {
      "content-type": "application/json",
      signature: `sha256 ${await hmacHex(config.secret, event)}`,
      "greenhouse-event-id": "3ce5180d-9119-4ddc-9ef6-21edb6e76f8a",
    });
    expect(res.status, res.text).toBe(200);
    expect(sends).toHaveBeenCalledTimes(1);
    expect(sends.mock.calls[0]![0]).toMatchObject({ case_id: "265277", event_type: "candidate_stage_change", version: "2015-02-09T16:38:36Z" });
  });
});
