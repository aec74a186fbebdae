/** Signed forwarding, retries, dead ends and replays (DESIGN.md guarantees 5, 6, 7). */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import worker from "../../src/index";
import type { DeliveryMessage } from "../../src/pipeline/messages";
import { RETRY_SCHEDULE_SECONDS } from "../../src/pipeline/schedule";
import { api } from "../helpers/api";
import { createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
let queued: MessageSendRequest<DeliveryMessage>[];
let sendBatch: MockInstance;
beforeEach(() => {
  net = stubNetwork();
  queued = [];
  // Retries are driven by hand below, so the test controls time; capture instead of queueing.
  sendBatch = vi.spyOn(env.DELIVERY, "sendBatch").mockImplementation(async (msgs) => {
    queued.push(...(msgs as MessageSendRequest<DeliveryMessage>[]));
    return {} as QueueSendBatchResponse;
  });
});
afterEach(() => {
  net.restore();
  sendBatch.mockRestore();
});

/** Runs the DELIVERY consumer on these messages as if they were due now; returns each message's retry delay (or "ack"). */
async function runDeliveries(msgs: DeliveryMessage[]) {
  await env.DB.batch(msgs.map((m) => env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1 AND next_attempt_at IS NOT NULL").bind(m.delivery_id, Date.now())));
  const batch = createMessageBatch<DeliveryMessage>(
    "caserelay-delivery",
    msgs.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const spies = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return batch.messages.map((m, i) => (result.explicitAcks.includes(m.id) ? "ack" : ((spies[i]!.mock.calls[0]?.[0] as { delaySeconds: number } | undefined)?.delaySeconds ?? "none")));
}

const deliveryRow = (id: string) => env.DB.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<Record<string, any>>();

async function relayWithCase(caseId = "case-1") {
  const r = await karmacheckRelay(net);
  r.api.set(caseId, "Pending", null, "2024-05-25T19:00:00.000Z");
  return r;
}

describe("delivery", () => {
  it("signs every delivery so the official standardwebhooks library verifies it", async () => {
    const r = await relayWithCase();
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const [got] = await eventually(() => r.hook.got.length === 1 && r.hook.got);
    const call = net.callsTo(r.endpoint.url)[0]!;
    expect(call.headers["content-type"]).toBe("application/json");
    expect(call.headers["user-agent"]).toMatch(/^caserelay\//);
    expect(got!.verified).toBe(true);
    expect(Math.abs(Number(got!.timestamp) - Date.now() / 1000)).toBeLessThan(30);
    expect(() => new Webhook(r.endpoint.secret).verify(got!.raw.replace('"sequence":1', '"sequence":2'), { "webhook-id": got!.id, "webhook-timestamp": got!.timestamp, "webhook-signature": got!.signature })).toThrow();
  });

  it("signs with both secrets for 24 hours after a rotation", async () => {
    const r = await relayWithCase();
    const old = r.endpoint.secret;
    const rotated = await api.post(`/v1/endpoints/${r.endpoint.id}/rotate-secret`);
    r.secret.value = rotated.body.secret;
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const [got] = await eventually(() => r.hook.got.length === 1 && r.hook.got);
    expect(got!.signature.split(" ")).toHaveLength(2);
    const headers = { "webhook-id": got!.id, "webhook-timestamp": got!.timestamp, "webhook-signature": got!.signature };
    expect(() => new Webhook(rotated.body.secret).verify(got!.raw, headers)).not.toThrow();
    expect(() => new Webhook(old).verify(got!.raw, headers)).not.toThrow();
  });

  it("retries on the schedule with jitter until the last attempt, then fails the delivery", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1, { message: "first retry queued" });
    const first = queued[0]!;
    expect(first.delaySeconds).toBeGreaterThanOrEqual(4);
    expect(first.delaySeconds).toBeLessThanOrEqual(6);
    const msg = first.body;
    const delays: (number | string)[] = [];
    for (let attempt = 2; attempt <= RETRY_SCHEDULE_SECONDS.length + 1; attempt++) delays.push((await runDeliveries([msg]))[0]!);
    expect(r.hook.got).toHaveLength(10);
    // After attempt n (n >= 2) the wait is schedule[n-1] ± 20 %, capped at a queue's 12 h (longer waits are chained).
    RETRY_SCHEDULE_SECONDS.slice(1).forEach((s, i) => {
      const d = delays[i] as number;
      expect(d).toBeGreaterThanOrEqual(Math.min(Math.floor(s * 0.8), 43200));
      expect(d).toBeLessThanOrEqual(Math.min(Math.ceil(s * 1.2), 43200));
    });
    expect(delays.at(-1)).toBe("ack");
    const row = await deliveryRow(msg.delivery_id);
    expect(row).toMatchObject({ status: "failed", next_attempt_at: null });
    const attempts = await api.get(`/v1/deliveries/${msg.delivery_id}/attempts`);
    expect(attempts.body.data).toHaveLength(10);
    expect(attempts.body.data[0]).toMatchObject({ status_code: 500, error_kind: "http", response_excerpt: "down", flagged: false });
  });

  it("waits out a delay longer than a queue holds by putting the message back for the rest", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 503 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1);
    const msg = queued[0]!.body;
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1").bind(msg.delivery_id, Date.now() + 20 * 3600_000).run();
    const batch = createMessageBatch<DeliveryMessage>("caserelay-delivery", [{ id: "early", timestamp: new Date(), attempts: 1, body: msg }]);
    const retry = vi.spyOn(batch.messages[0]!, "retry");
    await worker.queue(batch as MessageBatch<never>, env, createExecutionContext());
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 43200 });
    expect(r.hook.got).toHaveLength(1);
  });

  it("honours Retry-After within the scheduled delay and twice it", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("slow down", { status: 429, headers: { "retry-after": "3600" } }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1);
    expect(queued[0]!.delaySeconds).toBe(10); // 3600 clamped to 2 x 5 s
    r.hook.respond(() => new Response("slow down", { status: 429, headers: { "retry-after": "450" } }));
    expect(await runDeliveries([queued[0]!.body])).toEqual([450]); // within [300, 600]
    r.hook.respond(() => new Response("slow down", { status: 429, headers: { "retry-after": "1" } }));
    expect(await runDeliveries([queued[0]!.body])).toEqual([1800]); // raised to the scheduled 30 min
  });

  it("flags 4xx answers other than 410 and 429, and keeps retrying them", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("bad schema", { status: 422 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1);
    const attempts = await api.get(`/v1/deliveries/${queued[0]!.body.delivery_id}/attempts`);
    expect(attempts.body).toMatchObject({ status: "retrying", data: [{ status_code: 422, flagged: true }] });
  });

  it("records timeouts and network errors by kind", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => {
      throw new TypeError("connection refused");
    });
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1);
    r.hook.respond(() => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    });
    await runDeliveries([queued[0]!.body]);
    const attempts = (await api.get(`/v1/deliveries/${queued[0]!.body.delivery_id}/attempts`)).body.data;
    expect(attempts.map((a: { error_kind: string }) => a.error_kind)).toEqual(["connect", "timeout"]);
    expect(attempts[0].status_code).toBeNull();
  });

  it("disables an endpoint that answers 410 and holds its later deliveries until it is re-enabled", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("gone", { status: 410 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(async () => (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.status === "disabled", { message: "endpoint disabled" });
    expect((await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.disabled_reason).toContain("410");
    expect(queued).toHaveLength(0);
    r.api.set("case-1", "Pending", "Reviewing Order", "2024-05-25T19:05:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:05:00.000Z", "Pending", "Reviewing Order"));
    const held = await eventually(async () => (await env.DB.prepare("SELECT * FROM deliveries WHERE endpoint_id = ? AND status = 'held'").bind(r.endpoint.id).first<Record<string, any>>()) ?? false, { message: "held delivery" });
    expect(r.hook.got).toHaveLength(1);
    r.hook.respond(() => new Response("ok"));
    expect((await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "active" })).body.status).toBe("active");
    expect(queued.map((q) => q.body.delivery_id)).toEqual([held.id]);
    expect(await runDeliveries([queued[0]!.body])).toEqual(["ack"]);
    expect(r.hook.got.at(-1)!.body.data.sequence).toBe(2);
  });

  it("disables an endpoint that has failed every attempt for 5 days", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await env.DB.prepare("UPDATE endpoints SET failing_since = ? WHERE id = ?").bind(Date.now() - 5 * 86400_000 - 1000, r.endpoint.id).run();
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { description: "refresh cache" });
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const ep = await eventually(async () => {
      const e = (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body;
      return e.status === "disabled" && e;
    }, { message: "endpoint disabled after 5 days" });
    expect(ep.disabled_reason).toContain("5 days");
  });

  it("clears failing_since on a success and sets it on the first failure", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(async () => (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.failing_since !== null, { message: "failing_since set" });
    r.hook.respond(() => new Response("ok"));
    await eventually(() => queued.length === 1);
    await runDeliveries([queued[0]!.body]);
    expect((await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.failing_since).toBeNull();
  });

  it("never sends a case's older event after the endpoint acknowledged a newer one: it is superseded", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1);
    r.hook.respond(() => new Response("ok"));
    r.api.set("case-1", "Complete", null, "2024-05-25T19:10:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:10:00.000Z", "Complete", null));
    await eventually(() => r.hook.got.length === 2);
    expect(r.hook.got.map((g) => g.body.data.sequence)).toEqual([1, 2]);
    expect(await runDeliveries([queued[0]!.body])).toEqual(["ack"]);
    expect(r.hook.got).toHaveLength(2);
    expect((await deliveryRow(queued[0]!.body.delivery_id))!.status).toBe("superseded");
  });

  it("sends one batch's deliveries for an endpoint and case in sequence order", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => queued.length === 1);
    r.api.set("case-1", "Pending", "Reviewing Order", "2024-05-25T19:05:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:05:00.000Z", "Pending", "Reviewing Order"));
    await eventually(() => queued.length === 2);
    r.hook.respond(() => new Response("ok"));
    const before = r.hook.got.length;
    expect(await runDeliveries([queued[1]!.body, queued[0]!.body])).toEqual(["ack", "ack"]);
    expect(r.hook.got.slice(before).map((g) => g.body.data.sequence)).toEqual([1, 2]);
  });

  it("replays an event with its webhook-id and sequence, as a replay, even when superseded", async () => {
    const r = await relayWithCase();
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.got.length === 1);
    r.api.set("case-1", "Complete", null, "2024-05-25T19:10:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:10:00.000Z", "Complete", null));
    await eventually(() => r.hook.got.length === 2);
    const original = r.hook.got[0]!;
    await eventually(async () => (await api.get(`/v1/events/${original.id}`)).status === 200);
    const res = await api.post(`/v1/events/${original.id}/replay`, { endpoint_id: r.endpoint.id });
    expect(res.status).toBe(202);
    expect(res.body.data).toEqual([expect.objectContaining({ endpoint_id: r.endpoint.id, status: "retrying", replay: true })]);
    expect(await runDeliveries([queued[0]!.body])).toEqual(["ack"]);
    const replayed = r.hook.got.at(-1)!;
    expect(replayed.id).toBe(original.id);
    expect(replayed.verified).toBe(true);
    expect(replayed.body.data.sequence).toBe(1);
    expect(replayed.body.data.trigger.kind).toBe("replay");
    const deliveries = (await api.get(`/v1/events/${original.id}/deliveries`)).body.data;
    expect(deliveries.map((d: { status: string; replay: boolean }) => [d.status, d.replay])).toEqual([["succeeded", false], ["succeeded", true]]);
  });

  it("replays to every matching endpoint, and refuses an endpoint of another customer", async () => {
    const r = await relayWithCase();
    const second = await createEndpoint(r.customer.id, { url: "https://second.example.com/hook" });
    receiver(net, second.url, () => second.secret);
    const other = await karmacheckRelay(net);
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.got.length === 1);
    const eventId = r.hook.got[0]!.id;
    await eventually(async () => (await api.get(`/v1/events/${eventId}`)).status === 200);
    const all = await api.post(`/v1/events/${eventId}/replay`);
    expect(all.body.data.map((d: { endpoint_id: string }) => d.endpoint_id).sort()).toEqual([r.endpoint.id, second.id].sort());
    expect((await api.post(`/v1/events/${eventId}/replay`, { endpoint_id: other.endpoint.id })).status).toBe(404);
  });

  it("recovers only failed deliveries created since the given time", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("gone", { status: 410 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const failed = await eventually(async () => (await env.DB.prepare("SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'failed'").bind(r.endpoint.id).first<{ id: string }>()) ?? false);
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "active" });
    expect((await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: new Date(Date.now() + 60_000).toISOString() })).body).toEqual({ requeued: 0 });
    expect((await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: new Date(Date.now() - 60_000).toISOString() })).body).toEqual({ requeued: 1 });
    expect(queued.map((q) => q.body.delivery_id)).toEqual([failed.id]);
    r.hook.respond(() => new Response("ok"));
    expect(await runDeliveries([queued[0]!.body])).toEqual(["ack"]);
    expect((await deliveryRow(failed.id))!.status).toBe("succeeded");
    expect((await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: "yesterday" })).status).toBe(422);
  });

  it("never delivers one customer's events to another customer's endpoint", async () => {
    const a = await relayWithCase("shared-case-id");
    const b = await relayWithCase("shared-case-id");
    await a.send(kcCaseEvent("shared-case-id", "2024-05-25T19:00:00.000Z", "Pending", null));
    await b.send(kcCaseEvent("shared-case-id", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => a.hook.got.length === 1 && b.hook.got.length === 1);
    expect(a.hook.got[0]!.body.data.source_id).toBe(a.source.id);
    expect(b.hook.got[0]!.body.data.source_id).toBe(b.source.id);
    expect(a.hook.got[0]!.body.data.sequence).toBe(1);
    expect(b.hook.got[0]!.body.data.sequence).toBe(1);
    expect((await api.get(`/v1/events?customer_id=${a.customer.id}`, b.customer.api_key)).status).toBe(404);
    expect((await api.get(`/v1/events/${a.hook.got[0]!.id}`, b.customer.api_key)).status).toBe(404);
  });

  it("applies endpoint filters by type, source and group", async () => {
    const r = await relayWithCase();
    const completedOnly = await createEndpoint(r.customer.id, { url: "https://completed.example.com/h", filter: { types: ["case.completed"] } });
    const otherGroup = await createEndpoint(r.customer.id, { url: "https://group.example.com/h", filter: { groups: ["group-2"] } });
    const c = receiver(net, completedOnly.url, () => completedOnly.secret);
    const g = receiver(net, otherGroup.url, () => otherGroup.secret);
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.got.length === 1);
    r.api.set("case-1", "Complete", null, "2024-05-25T19:10:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:10:00.000Z", "Complete", null));
    await eventually(() => r.hook.got.length === 2 && c.got.length === 1);
    expect(c.got[0]!.body.type).toBe("case.completed");
    expect(g.got).toHaveLength(0);
  });
});
