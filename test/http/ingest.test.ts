import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { request } from "../helpers/api";
import { createCustomer, createSource, sampleConfigs } from "../helpers/factories";
import { eventually } from "../helpers/wait";
import caseEvent from "../fixtures/karmacheck-case-statuschange.json";
import serviceEvent from "../fixtures/karmacheck-casedata-statuschange.json";
import trueworkEvent from "../fixtures/truework-order-completed.json";
import casekeeperEvent from "../fixtures/casekeeper-verification-updated.json";
import keldairEvent from "../fixtures/keldair-event.json";
import { bytesToBase64, hmac, standardWebhooksKey } from "../../src/lib/crypto";
import { stubNetwork, type Network } from "../helpers/net";
import { api } from "../helpers/api";
import { messageBytes, QUEUE_MESSAGE_BYTES } from "../../src/services/receipts";
import type { ReceiptMessage } from "../../src/pipeline/messages";

const trail = async (sourceId: string, caseId: string) => (await api.get(`/v1/cases/${sourceId}/${encodeURIComponent(caseId)}`)).body;

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

const post = (sourceId: string, body: unknown, headers: Record<string, string> = {}) =>
  request("POST", `/in/${sourceId}`, {
    token: null,
    raw: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

async function karmacheckSource() {
  const c = await createCustomer();
  const config = { username: "kc-hooks", password: "s3cret-kc-password" };
  return createSource(c.id, "karmacheck", config);
}

const withCredentials = (body: object, username = "kc-hooks", password = "s3cret-kc-password") => ({ ...body, username, password });

async function signStandard(secret: string, body: string, id = "msg_1", timestamp = Math.floor(Date.now() / 1000)) {
  const sig = bytesToBase64(await hmac("sha256", standardWebhooksKey(secret), `${id}.${timestamp}.${body}`));
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${sig}` };
}

describe("POST /in/{source_id}", () => {
  it("accepts every seed payload and enqueues one receipt with credentials stripped", async () => {
    const c = await createCustomer();
    const kc = await createSource(c.id, "karmacheck", { username: "kc-hooks", password: "s3cret-kc-password" });
    const tw = await createSource(c.id, "truework", { tokens: ["tw-token-0123456789"] });
    const ck = await createSource(c.id, "casekeeper", sampleConfigs.casekeeper());
    const kdSecret = `whsec_${btoa("keldair-signing-secret-123")}`;
    const kd = await createSource(c.id, "keldair", { verify: { secret: kdSecret } });
    const kdBody = JSON.stringify(keldairEvent);
    const cases: [string, string | object, Record<string, string>, { case_id: string; event_type: string; version: string | null }][] = [
      [kc.id, withCredentials(caseEvent), {}, { case_id: caseEvent.eventObject.id, event_type: "case.statuschange", version: caseEvent.eventObject.modStamp }],
      [
        kc.id,
        withCredentials(serviceEvent),
        {},
        { case_id: serviceEvent.eventObject.caseId, event_type: "casedata.statuschange", version: serviceEvent.eventObject.modStamp },
      ],
      [
        tw.id,
        trueworkEvent,
        { "x-truework-token": "tw-token-0123456789" },
        { case_id: "ord_7f3c1b2a9e8d4c6b", event_type: "order.completed", version: trueworkEvent.hook.triggered_at },
      ],
      [ck.id, casekeeperEvent, {}, { case_id: casekeeperEvent.data.id, event_type: "verification.updated", version: casekeeperEvent.data.updatedAt }],
      [kd.id, kdBody, await signStandard(kdSecret, kdBody), { case_id: "app_00012345", event_type: "applicant.hired", version: keldairEvent.dateOccurred }],
    ];
    for (const [sourceId, body, headers, expected] of cases) {
      const res = await post(sourceId, body, headers);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ received: true, id: expect.stringMatching(/^rcv_[0-9A-Z]{26}$/) });
      const msg = sends.mock.calls.at(-1)![0] as Record<string, unknown>;
      expect(msg).toMatchObject({ kind: "receipt", id: res.body.id, source_id: sourceId, customer_id: c.id, ...expected });
      expect(msg.body_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(msg.body).not.toContain("s3cret-kc-password");
      expect(msg.body).not.toContain('"username"');
    }
    expect(sends).toHaveBeenCalledTimes(cases.length);
  });

  it("stores the receipt, with the body's credentials stripped", async () => {
    const s = await karmacheckSource();
    const res = await post(s.id, withCredentials(caseEvent));
    expect(res.status).toBe(200);
    // Stored by the case's object, whatever became of it (the source has no API: forwarded unverified).
    const row = await eventually(async () => (await trail(s.id, caseEvent.eventObject.id)).receipts?.find((r: { id: string }) => r.id === res.body.id), {
      message: "receipt in its case",
    });
    expect(row).toMatchObject({
      provider_event_id: caseEvent.messageId,
      event_type: "case.statuschange",
      version: caseEvent.eventObject.modStamp,
      kind: "webhook",
    });
    expect(JSON.stringify(row.body)).not.toContain("s3cret-kc-password");
    expect(row.body).not.toHaveProperty("password");
    expect(row.body.eventObject.id).toBe(caseEvent.eventObject.id);
  });

  it("accepts KarmaCheck credentials as HTTP Basic auth too", async () => {
    const s = await karmacheckSource();
    const res = await post(s.id, caseEvent, { authorization: `Basic ${btoa("kc-hooks:s3cret-kc-password")}` });
    expect(res.status).toBe(200);
  });

  const badInputs: [string, (id: string) => Promise<Awaited<ReturnType<typeof post>>>, number, string][] = [
    ["unknown source", () => post("src_00000000000000000000000000", withCredentials(caseEvent)), 404, "not_found"],
    ["malformed source id", () => post("not-a-source", withCredentials(caseEvent)), 404, "not_found"],
    ["oversize body", (id) => post(id, JSON.stringify({ ...withCredentials(caseEvent), pad: "x".repeat(1024 * 1024) })), 413, "payload_too_large"],
    ["empty body", (id) => post(id, ""), 400, "invalid_json"],
    ["not JSON", (id) => post(id, "{ this is not json"), 400, "invalid_json"],
    [
      "invalid UTF-8",
      (id) =>
        request("POST", `/in/${id}`, {
          token: null,
          raw: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
          headers: { "content-type": "application/json" },
        }),
      400,
      "invalid_json",
    ],
    [
      "form body",
      (id) => request("POST", `/in/${id}`, { token: null, raw: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      415,
      "unsupported_media_type",
    ],
    ["wrong password", (id) => post(id, withCredentials(caseEvent, "kc-hooks", "guess")), 401, "unauthorized"],
    ["no credentials", (id) => post(id, caseEvent), 401, "unauthorized"],
    ["missing eventObject.id", (id) => post(id, withCredentials({ ...caseEvent, eventObject: { modStamp: "x" } })), 422, "invalid_payload"],
    ["missing messageId", (id) => post(id, withCredentials({ event: "case.statuschange", eventObject: caseEvent.eventObject })), 422, "invalid_payload"],
  ];

  it.each(badInputs)("rejects %s with its status and code, and enqueues nothing", async (_name, send, status, code) => {
    const s = await karmacheckSource();
    const res = await send(s.id);
    expect(res.status, res.text).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.request_id).toMatch(/^req_/);
    expect(res.text).not.toContain("s3cret-kc-password");
    expect(sends).not.toHaveBeenCalled();
    expect((await trail(s.id, caseEvent.eventObject.id)).receipts).toEqual([]);
  });

  it("names the missing field of an invalid envelope", async () => {
    const s = await karmacheckSource();
    const res = await post(s.id, withCredentials({ ...caseEvent, eventObject: { modStamp: "x" } }));
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: "eventObject.id" }));
    expect(res.body.error.message).toContain("eventObject.id");
  });

  it("refuses a deleted source within seconds and a source of another shape", async () => {
    const s = await karmacheckSource();
    expect((await post(s.id, withCredentials(caseEvent))).status).toBe(200);
    await request("DELETE", `/v1/sources/${s.id}`);
    expect((await post(s.id, withCredentials(caseEvent))).status).toBe(404);
  });

  it("answers 503 and leaves no trace when the queue refuses the receipt", async () => {
    const s = await karmacheckSource();
    sends.mockRejectedValueOnce(new Error("queue unavailable"));
    const res = await post(s.id, withCredentials(caseEvent));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("unavailable");
  });

  it("stashes a body too big for a queue message in its case object, and the case processes it", async () => {
    const s = await karmacheckSource();
    const big = withCredentials({ ...caseEvent, eventObject: { ...caseEvent.eventObject, notes: "n".repeat(200_000) } });
    const res = await post(s.id, big);
    expect(res.status).toBe(200);
    const msg = sends.mock.calls.at(-1)![0] as ReceiptMessage;
    expect(msg.body).toBeNull();
    expect(messageBytes(msg)).toBeLessThan(QUEUE_MESSAGE_BYTES);
    const row = await eventually(
      async () =>
        (await trail(s.id, caseEvent.eventObject.id)).receipts?.find((r: { id: string; outcome: string }) => r.id === res.body.id && r.outcome !== "pending"),
      { message: "the stashed receipt processed" },
    );
    expect(row.outcome).toBe("forwarded");
    expect(row.body.eventObject.notes).toHaveLength(200_000);
    expect(JSON.stringify(row.body)).not.toContain("s3cret-kc-password");
  });

  it("decides on the message as sent: bodies that escaping pushes past the limit are stashed, smaller ones queued", async () => {
    const s = await karmacheckSource();
    // A quote and two backslashes are 3 bytes received, 6 in the stored JSON body, 12 in the message
    // that carries that body as a string: a 32 KB webhook can make a message of more than 128 KB.
    for (const [n, stashed] of [
      [5_000, false],
      [10_400, false],
      [10_700, true],
      [40_000, true],
    ] as const) {
      sends.mockClear();
      const body = withCredentials({
        ...caseEvent,
        messageId: crypto.randomUUID(),
        eventObject: { ...caseEvent.eventObject, modStamp: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString(), notes: '"\\\\'.repeat(n) },
      });
      const res = await post(s.id, body);
      expect(res.status, `${n}: ${res.text}`).toBe(200);
      const msg = sends.mock.calls.at(-1)![0] as ReceiptMessage;
      expect(msg.body === null, `${n} quote pairs`).toBe(stashed);
      expect(messageBytes(msg)).toBeLessThanOrEqual(QUEUE_MESSAGE_BYTES);
    }
  });
});
