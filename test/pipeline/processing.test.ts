/** From receipt to normalized event, through the real queues, Durable Objects and D1 of the Vitest integration. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { ReceiptMessage } from "../../src/pipeline/messages";
import { api } from "../helpers/api";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const caseView = async (sourceId: string, caseId: string) => (await api.get(`/v1/cases/${sourceId}/${encodeURIComponent(caseId)}`)).body;

describe("processing", () => {
  it("turns a webhook into one refetched, normalized, signed event", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("case-a", "Pending", "Authorization in Progress", "2024-05-25T19:20:00.000Z", { candidateEmail: "lee@example.com" });
    const res = await r.send(kcCaseEvent("case-a", "2024-05-25T19:20:00.000Z", "Pending", "Waiting for Authorization"));
    expect(res.status).toBe(200);
    const [got] = await eventually(() => r.hook.got.length === 1 && r.hook.got, { message: "delivery" });
    expect(got!.verified).toBe(true);
    expect(got!.id).toBe(`evt_${res.body.id.slice(4)}`);
    expect(got!.body).toMatchObject({
      type: "case.updated",
      data: {
        event_id: got!.id,
        provider: "karmacheck",
        source_id: r.source.id,
        case_id: "case-a",
        sequence: 1,
        // The refetched state wins over the (older) webhook body.
        status: "in_progress",
        provider_status: "Pending / Authorization in Progress",
        check: null,
        trigger: { kind: "webhook", provider_event_type: "case.statuschange", provider_event_id: expect.any(String) },
        verified: true,
        state: { id: "case-a", caseStatus: "Pending", candidateEmail: "lee@example.com" },
      },
    });
    expect(got!.raw).not.toContain("kc-password-123");
    const event = await eventually(async () => (await api.get(`/v1/events/${got!.id}`)).body.id && (await api.get(`/v1/events/${got!.id}`)).body, {
      message: "stored event",
    });
    expect(event).toMatchObject({ id: got!.id, sequence: 1, type: "case.updated", status: "in_progress", receipt_id: res.body.id });
    expect(event.payload).toEqual(got!.body);
    const list = await api.get(`/v1/events?source_id=${r.source.id}&case_id=case-a`);
    expect(list.body.data.map((e: { id: string }) => e.id)).toEqual([got!.id]);
  });

  it("turns the same provider event sent three times, and once more with a new messageId, into one event", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("case-d", "Pending", "Authorization in Progress", "2024-05-25T19:20:00.000Z");
    const webhook = kcCaseEvent("case-d", "2024-05-25T19:20:00.000Z", "Pending", "Authorization in Progress");
    const ids = [];
    for (const body of [webhook, webhook, webhook, { ...webhook, messageId: crypto.randomUUID() }]) ids.push((await r.send(body)).body.id);
    expect(new Set(ids).size).toBe(4);
    const view = await eventually(
      async () => {
        const v = await caseView(r.source.id, "case-d");
        return v.receipts?.length === 1 && v.receipts[0].duplicate_count === 3 && v.events.length === 1 && v;
      },
      { message: "one receipt, three duplicates" },
    );
    expect(view.receipts[0]).toMatchObject({ outcome: "forwarded", duplicate_count: 3 });
    expect(view.receipts[0].duplicates.map((d: { id: string }) => d.id).sort()).toEqual(ids.filter((id) => id !== view.receipts[0].id).sort());
    await eventually(() => r.hook.got.length === 1, { message: "one delivery" });
    expect(r.hook.got).toHaveLength(1);
  });

  it("numbers a case's shuffled events in order, ends in the newest state and records the older ones as stale", async () => {
    const r = await karmacheckRelay(net);
    const stamps = ["2024-05-25T19:00:00.000Z", "2024-05-25T19:05:00.000Z", "2024-05-25T19:10:00.000Z", "2024-05-25T19:15:00.000Z"];
    const steps: [string, string | null][] = [
      ["Pending", "Waiting for Authorization"],
      ["Pending", "Authorization in Progress"],
      ["Pending", null],
      ["Complete", null],
    ];
    const send = async (i: number) => {
      // The provider's state moved on to step i when its webhook i was sent...
      const res = await r.send(kcCaseEvent("case-s", stamps[i]!, steps[i]![0], steps[i]![1]));
      expect(res.status).toBe(200);
      return res.body.id as string;
    };
    // ...but they arrive 2, 1, 4, 3 — each processed before the next arrives.
    const order = [1, 0, 3, 2];
    const outcomes: string[] = [];
    for (const i of order) {
      r.api.set(
        "case-s",
        steps[Math.max(...order.slice(0, order.indexOf(i) + 1))]![0],
        steps[Math.max(...order.slice(0, order.indexOf(i) + 1))]![1],
        stamps[Math.max(...order.slice(0, order.indexOf(i) + 1))]!,
      );
      const id = await send(i);
      const receipt = await eventually(
        async () => {
          const v = await caseView(r.source.id, "case-s");
          const rec = v.receipts?.find((x: { id: string }) => x.id === id);
          return rec && rec.outcome !== "pending" && rec;
        },
        { message: `receipt ${i}` },
      );
      outcomes.push(receipt.outcome);
    }
    expect(outcomes).toEqual(["forwarded", "stale", "forwarded", "stale"]);
    await eventually(() => r.hook.got.length === 2, { message: "two deliveries" });
    expect(r.hook.got.map((g) => g.body.data.sequence)).toEqual([1, 2]);
    expect(r.hook.got.at(-1)!.body).toMatchObject({ type: "case.completed", data: { status: "completed", state: { caseStatus: "Complete" } } });
    const view = await caseView(r.source.id, "case-s");
    expect(view).toMatchObject({ status: "completed", sequence: 2, terminal: true });
  });

  it("forwards the same state again only when the event says something new about it", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("case-n", "Complete", null, "2024-05-25T19:10:00.000Z");
    const service = {
      messageId: crypto.randomUUID(),
      event: "casedata.statuschange",
      username: "kc-hooks",
      password: "kc-password-123",
      eventObject: { id: "svc-1", caseId: "case-n", statusId: "s-clear", status: "clear", serviceName: "SSN Trace", modStamp: "2024-05-25T19:09:00.000Z" },
    };
    const outcome = async (id: string) =>
      eventually(async () => {
        const rec = (await caseView(r.source.id, "case-n")).receipts?.find((x: { id: string }) => x.id === id);
        return rec && rec.outcome !== "pending" && rec.outcome;
      });
    expect(await outcome((await r.send(service)).body.id)).toBe("forwarded");
    // Same state, now announced for the case as a whole: news for an endpoint that only takes completions.
    expect(await outcome((await r.send(kcCaseEvent("case-n", "2024-05-25T19:10:00.000Z", "Complete", null))).body.id)).toBe("forwarded");
    // The same announcement again (a later webhook, same state): nothing new.
    expect(await outcome((await r.send(kcCaseEvent("case-n", "2024-05-25T19:11:00.000Z", "Complete", null))).body.id)).toBe("unchanged");
    await eventually(() => r.hook.got.length === 2);
    expect(r.hook.got.map((g) => g.body.type)).toEqual(["check.updated", "case.completed"]);
  });

  it("never lets one case wait on another whose provider API hangs", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("case-slow", "Pending", null, "2024-05-25T19:00:00.000Z");
    r.api.set("case-fast", "Pending", null, "2024-05-25T19:00:00.000Z");
    const release = r.api.hang("case-slow");
    await r.send(kcCaseEvent("case-slow", "2024-05-25T19:00:00.000Z", "Pending", null));
    await r.send(kcCaseEvent("case-fast", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.forCase("case-fast").length === 1, { message: "fast case delivered while the slow one hangs" });
    expect(r.hook.forCase("case-slow")).toHaveLength(0);
    expect(r.api.stats.fetches).toContain("case-slow");
    release();
    await eventually(() => r.hook.forCase("case-slow").length === 1, { message: "slow case delivered after release" });
  });

  it("forwards once when the refetch fails twice and then succeeds", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("case-f", "Pending", null, "2024-05-25T19:00:00.000Z");
    r.api.failNext("case-f", 2);
    await r.send(kcCaseEvent("case-f", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.got.length === 1, { message: "delivery after two failed refetches" });
    expect(r.api.stats.fetches.filter((id) => id === "case-f")).toHaveLength(3);
    const view = await eventually(async () => {
      const v = await caseView(r.source.id, "case-f");
      return v.events?.length === 1 && v;
    });
    expect(view.receipts[0].outcome).toBe("forwarded");
  });

  it("fetches the KarmaCheck token once and reuses it across cases, even when they ask at once", async () => {
    const r = await karmacheckRelay(net);
    const ids = Array.from({ length: 12 }, (_, i) => `t-${i}`);
    for (const id of ids) r.api.set(id, "Pending", null, "2024-05-25T19:00:00.000Z");
    await Promise.all(ids.map((id) => r.send(kcCaseEvent(id, "2024-05-25T19:00:00.000Z", "Pending", null))));
    await eventually(() => r.hook.got.length === ids.length, { message: "twelve deliveries" });
    expect(r.api.stats.auth).toBe(1);
    const authCalls = net.callsTo("https://api-stage.karmacheck.io/auth/api");
    expect(JSON.parse(authCalls[0]!.body)).toEqual({ apiKey: "kc-api-key-123", clientAccessToken: "kc-client-token-123" });
    for (const call of net.callsTo("https://api-stage.karmacheck.io/case/id/")) expect(call.headers.authorization).toBe("Bearer jwt-1");
  });

  it("closes a case the provider says is gone (403) instead of retrying it", async () => {
    const r = await karmacheckRelay(net);
    const res = await r.send(kcCaseEvent("case-gone", "2024-05-25T19:00:00.000Z", "Pending", null));
    const view = await eventually(
      async () => {
        const v = await caseView(r.source.id, "case-gone");
        return v.receipts?.[0]?.outcome === "failed" && v;
      },
      { message: "receipt failed as gone" },
    );
    expect(view.receipts[0]).toMatchObject({ id: res.body.id, outcome: "failed", detail: expect.stringContaining("403") });
    expect(view.terminal).toBe(true);
    expect(r.api.stats.fetches).toEqual(["case-gone"]);
    expect(r.hook.got).toHaveLength(0);
  });

  it("processes a message redelivered after a failed attempt instead of dropping it as a duplicate of itself", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("case-r", "Pending", null, "2024-05-25T19:00:00.000Z");
    r.api.failNext("case-r", 3);
    const message: ReceiptMessage = {
      kind: "receipt",
      id: "rcv_01JD00000000000000000000R1",
      source_id: r.source.id,
      customer_id: r.customer.id,
      case_id: "case-r",
      dedupe_key: JSON.stringify(["case-r", "st-Pending", null, "2024-05-25T19:00:00.000Z"]),
      subject: "case",
      provider_event_id: "m-1",
      event_type: "case.statuschange",
      version: "2024-05-25T19:00:00.000Z",
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: JSON.stringify({ event: "case.statuschange", eventObject: { id: "case-r" } }),
    };
    const run = async (attempts: number) => {
      const batch = createMessageBatch<ReceiptMessage>("caserelay-inbox", [{ id: "msg-1", timestamp: new Date(), attempts, body: message }]);
      // getQueueResult() does not report delaySeconds (test/platform.test.ts): read it off retry().
      const retry = vi.spyOn(batch.messages[0]!, "retry");
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch<never>, env, ctx);
      return { ...(await getQueueResult(batch, ctx)), retryCalls: retry.mock.calls };
    };
    const first = await run(1);
    expect(first.retryMessages).toEqual([{ msgId: "msg-1" }]);
    expect(first.retryCalls).toEqual([[{ delaySeconds: 10 }]]);
    expect(r.hook.got).toHaveLength(0);
    // Pending, and the trail says what it waits for.
    expect((await caseView(r.source.id, "case-r")).receipts[0]).toMatchObject({
      outcome: "pending",
      reason: "refetch_failed",
      detail: expect.stringContaining("503"),
    });
    const second = await run(2);
    expect(second.explicitAcks).toEqual(["msg-1"]);
    expect(r.hook.got).toHaveLength(1);
    expect(r.hook.got[0]!.id).toBe("evt_01JD00000000000000000000R1");
    // Once more, as the queue might after a crash: same answer, nothing sent twice.
    const third = await run(3);
    expect(third.explicitAcks).toEqual(["msg-1"]);
    expect(r.hook.got).toHaveLength(1);
  });
});
