/**
 * Signed forwarding, retries, dead ends and replays (the signed-delivery and retry guarantees). Retries are the
 * case object's, on its alarm: tests make them due and run the alarm (test/helpers/cases.ts), so
 * the schedule is checked without waiting for it.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RETRY_SCHEDULE_SECONDS } from "../../src/pipeline/schedule";
import { api } from "../helpers/api";
import { alarmOf, runAlarm, storedDeliveries } from "../helpers/cases";
import { createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const indexRow = (id: string) => env.DB.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<Record<string, any>>();

async function relayWithCase(caseId = "case-1") {
  const r = await karmacheckRelay(net);
  r.api.set(caseId, "Pending", null, "2024-05-25T19:00:00.000Z");
  return r;
}

/** The case's only delivery to the relay's endpoint, once it has `attempts` attempts. */
async function deliveryAfter(r: Awaited<ReturnType<typeof relayWithCase>>, attempts: number, caseId = "case-1", sequence = 1) {
  return eventually(
    async () => (await storedDeliveries(r.source.id, caseId)).find((d) => d.sequence === sequence && !d.replay && d.attempts.length >= attempts),
    {
      message: `delivery ${sequence} after ${attempts} attempts`,
    },
  );
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
    expect(() =>
      new Webhook(r.endpoint.secret).verify(got!.raw.replace('"sequence":1', '"sequence":2'), {
        "webhook-id": got!.id,
        "webhook-timestamp": got!.timestamp,
        "webhook-signature": got!.signature,
      }),
    ).toThrow();
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

  it("retries on the schedule with jitter, from the case's alarm, until the last attempt, then fails the delivery", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    let d = await deliveryAfter(r, 1);
    // The index knows it needs another try; the object's alarm is set for it.
    expect(await indexRow(d.id)).toMatchObject({ status: "retrying", endpoint_id: r.endpoint.id, sequence: 1 });
    expect(await alarmOf(r.source.id, "case-1")).toBe(Date.parse(d.next_attempt_at!));
    for (let attempt = 1; attempt <= RETRY_SCHEDULE_SECONDS.length; attempt++) {
      // After attempt n the wait is schedule[n-1] ± 20 %.
      const waited = (Date.parse(d.next_attempt_at!) - Date.parse(d.attempts.at(-1)!.at)) / 1000;
      const s = RETRY_SCHEDULE_SECONDS[attempt - 1]!;
      expect(waited, `wait after attempt ${attempt}`).toBeGreaterThanOrEqual(Math.floor(s * 0.8));
      expect(waited, `wait after attempt ${attempt}`).toBeLessThanOrEqual(Math.ceil(s * 1.2));
      await runAlarm(r.source.id, "case-1", { due: true });
      d = await deliveryAfter(r, attempt + 1);
    }
    expect(r.hook.got).toHaveLength(10);
    expect(d).toMatchObject({ status: "failed", next_attempt_at: null });
    expect(await indexRow(d.id)).toMatchObject({ status: "failed" });
    const attempts = await api.get(`/v1/deliveries/${d.id}/attempts`);
    expect(attempts.body.data).toHaveLength(10);
    expect(attempts.body.data[0]).toMatchObject({ status_code: 500, error_kind: "http", response_excerpt: "down", flagged: false });
  });

  // 503 rather than 429: a 429 (or 502, 504) also cools the whole endpoint down (test/flow/cooldown.test.ts), which would defer these retries.
  it("honours Retry-After within the scheduled delay and twice it", async () => {
    const r = await relayWithCase();
    const wait = (d: { next_attempt_at: string | null; attempts: { at: string }[] }) =>
      Math.round((Date.parse(d.next_attempt_at!) - Date.parse(d.attempts.at(-1)!.at)) / 1000);
    r.hook.respond(() => new Response("slow down", { status: 503, headers: { "retry-after": "3600" } }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    expect(wait(await deliveryAfter(r, 1))).toBe(10); // 3600 clamped to 2 x 5 s
    r.hook.respond(() => new Response("slow down", { status: 503, headers: { "retry-after": "450" } }));
    await runAlarm(r.source.id, "case-1", { due: true });
    expect(wait(await deliveryAfter(r, 2))).toBe(450); // within [300, 600]
    r.hook.respond(() => new Response("slow down", { status: 503, headers: { "retry-after": "1" } }));
    await runAlarm(r.source.id, "case-1", { due: true });
    expect(wait(await deliveryAfter(r, 3))).toBe(1800); // raised to the scheduled 30 min
  });

  it("flags 4xx answers other than 410 and 429, and keeps retrying them", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("bad schema", { status: 422 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const d = await deliveryAfter(r, 1);
    const attempts = await api.get(`/v1/deliveries/${d.id}/attempts`);
    expect(attempts.body).toMatchObject({ status: "retrying", data: [{ status_code: 422, flagged: true }] });
  });

  it("records timeouts and network errors by kind", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => {
      throw new TypeError("connection refused");
    });
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const d = await deliveryAfter(r, 1);
    r.hook.respond(() => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    });
    await runAlarm(r.source.id, "case-1", { due: true });
    await deliveryAfter(r, 2);
    const attempts = (await api.get(`/v1/deliveries/${d.id}/attempts`)).body.data;
    expect(attempts.map((a: { error_kind: string }) => a.error_kind)).toEqual(["connect", "timeout"]);
    expect(attempts[0].status_code).toBeNull();
  });

  it("disables an endpoint that answers 410 and holds its later deliveries until it is re-enabled", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("gone", { status: 410 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(async () => (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.status === "disabled", { message: "endpoint disabled" });
    expect((await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.disabled_reason).toContain("410");
    r.api.set("case-1", "Pending", "Reviewing Order", "2024-05-25T19:05:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:05:00.000Z", "Pending", "Reviewing Order"));
    const held = await eventually(async () => (await storedDeliveries(r.source.id, "case-1")).find((d) => d.sequence === 2 && d.status === "held"), {
      message: "held delivery",
    });
    expect(await indexRow(held.id)).toMatchObject({ status: "held" });
    expect(r.hook.got).toHaveLength(1);
    r.hook.respond(() => new Response("ok"));
    expect((await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "active" })).body.status).toBe("active");
    // Resuming releases what was held, in the background of the request.
    await eventually(() => r.hook.got.length === 2, { message: "held delivery sent" });
    expect(r.hook.got.at(-1)!.body.data.sequence).toBe(2);
    await eventually(async () => (await indexRow(held.id)) === null, { message: "index row gone once delivered" });
  });

  it("disables an endpoint that has failed every attempt for 5 days", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await env.DB.prepare("UPDATE endpoints SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 5 * 86400_000 - 1000, r.endpoint.id)
      .run();
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { description: "refresh cache" });
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const ep = await eventually(
      async () => {
        const e = (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body;
        return e.status === "disabled" && e;
      },
      { message: "endpoint disabled after 5 days" },
    );
    expect(ep.disabled_reason).toContain("5 days");
  });

  it("clears failing_since on a success and sets it on the first failure", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(async () => (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.failing_since !== null, { message: "failing_since set" });
    r.hook.respond(() => new Response("ok"));
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { description: "refresh cache" });
    await runAlarm(r.source.id, "case-1", { due: true });
    await eventually(async () => (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.failing_since === null, { message: "failing_since cleared" });
  });

  it("never sends a case's older event after the endpoint acknowledged a newer one: it is superseded", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const first = await deliveryAfter(r, 1);
    r.hook.respond(() => new Response("ok"));
    r.api.set("case-1", "Complete", null, "2024-05-25T19:10:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:10:00.000Z", "Complete", null));
    await eventually(() => r.hook.got.length === 2);
    expect(r.hook.got.map((g) => g.body.data.sequence)).toEqual([1, 2]);
    await runAlarm(r.source.id, "case-1", { due: true });
    const after = (await storedDeliveries(r.source.id, "case-1")).find((d) => d.id === first.id)!;
    expect(after.status).toBe("superseded");
    expect(r.hook.got).toHaveLength(2);
    await eventually(async () => (await indexRow(first.id)) === null, { message: "superseded delivery leaves the index" });
  });

  it("sends a case's deliveries to an endpoint in sequence order", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await deliveryAfter(r, 1);
    r.api.set("case-1", "Pending", "Reviewing Order", "2024-05-25T19:05:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:05:00.000Z", "Pending", "Reviewing Order"));
    await deliveryAfter(r, 1, "case-1", 2);
    r.hook.respond(() => new Response("ok"));
    const before = r.hook.got.length;
    await runAlarm(r.source.id, "case-1", { due: true });
    await eventually(() => r.hook.got.length === before + 2);
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
    expect(res.body.data).toEqual([expect.objectContaining({ endpoint_id: r.endpoint.id, status: "succeeded", replay: true, attempt_count: 1 })]);
    const replayed = r.hook.got.at(-1)!;
    expect(r.hook.got).toHaveLength(3);
    expect(replayed.id).toBe(original.id);
    expect(replayed.verified).toBe(true);
    expect(replayed.body.data.sequence).toBe(1);
    expect(replayed.body.data.trigger.kind).toBe("replay");
    const deliveries = (await api.get(`/v1/events/${original.id}/deliveries`)).body.data;
    expect(deliveries.map((d: { status: string; replay: boolean }) => [d.status, d.replay])).toEqual([
      ["succeeded", false],
      ["succeeded", true],
    ]);
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
    const refused = await api.post(`/v1/events/${eventId}/replay`, { endpoint_id: other.endpoint.id });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe("not_found");
  });

  it("recovers only failed deliveries created since the given time", async () => {
    const r = await relayWithCase();
    r.hook.respond(() => new Response("gone", { status: 410 }));
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const failed = await eventually(
      async () =>
        (await env.DB.prepare("SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'failed'").bind(r.endpoint.id).first<{ id: string }>()) ?? false,
    );
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "active" });
    expect((await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: new Date(Date.now() + 60_000).toISOString() })).body).toEqual({ requeued: 0 });
    r.hook.respond(() => new Response("ok"));
    expect((await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: new Date(Date.now() - 60_000).toISOString() })).body).toEqual({ requeued: 1 });
    await eventually(() => r.hook.got.length === 2, { message: "recovered delivery sent" });
    const d = (await storedDeliveries(r.source.id, "case-1")).find((x) => x.id === failed.id)!;
    expect(d.status).toBe("succeeded");
    // A new cycle: the earlier attempt stays in the trail, the schedule starts over.
    expect(d.retry_base).toBe(1);
    await eventually(async () => (await indexRow(failed.id)) === null, { message: "recovered delivery leaves the index" });
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
    await eventually(async () => (await api.get(`/v1/events/${a.hook.got[0]!.id}`)).status === 200);
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
