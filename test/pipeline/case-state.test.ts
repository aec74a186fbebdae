/**
 * The case object keeps no storage: after it loses its memory it resumes from D1's record of the case.
 * abortAllDurableObjects() resets every object at once (evictDurableObject() waits ~5 s per call here).
 */
import { abortAllDurableObjects, createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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

const outcomeOf = async (sourceId: string, caseId: string, receiptId: string) => {
  const v = (await api.get(`/v1/cases/${sourceId}/${caseId}`)).body;
  const r = v.receipts?.find((x: { id: string }) => x.id === receiptId);
  return r && r.outcome !== "pending" ? r.outcome : undefined;
};

describe("case state after an eviction", () => {
  it("continues the numbering, and still knows stale and unchanged events", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("ev-1", "Pending", null, "2024-05-25T19:10:00.000Z");
    await r.send(kcCaseEvent("ev-1", "2024-05-25T19:10:00.000Z", "Pending", null));
    await eventually(() => r.hook.got.length === 1);
    await eventually(async () => (await api.get(`/v1/cases/${r.source.id}/ev-1`)).body.events?.length === 1);
    await abortAllDurableObjects();

    // Older than what D1 says was seen: stale.
    const stale = (await r.send(kcCaseEvent("ev-1", "2024-05-25T19:00:00.000Z", "Pending", "Waiting for Authorization"))).body.id;
    expect(await eventually(() => outcomeOf(r.source.id, "ev-1", stale))).toBe("stale");
    await abortAllDurableObjects();

    // Newer, but the provider's state is what was already forwarded: unchanged.
    const same = (await r.send(kcCaseEvent("ev-1", "2024-05-25T19:11:00.000Z", "Pending", null))).body.id;
    expect(await eventually(() => outcomeOf(r.source.id, "ev-1", same))).toBe("unchanged");
    await abortAllDurableObjects();

    // A real change: numbered after the last stored event.
    r.api.set("ev-1", "Complete", null, "2024-05-25T19:20:00.000Z");
    await r.send(kcCaseEvent("ev-1", "2024-05-25T19:20:00.000Z", "Complete", null));
    await eventually(() => r.hook.got.length === 2);
    expect(r.hook.got.map((g) => g.body.data.sequence)).toEqual([1, 2]);
  });

  it("answers a message redelivered after the eviction from D1, without a second event", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("ev-2", "Pending", null, "2024-05-25T19:00:00.000Z");
    const message: ReceiptMessage = {
      kind: "receipt",
      id: "rcv_01JD00000000000000000000R2",
      source_id: r.source.id,
      customer_id: r.customer.id,
      case_id: "ev-2",
      dedupe_key: "k-ev-2",
      subject: "case",
      provider_event_id: "m-ev-2",
      event_type: "case.statuschange",
      version: "2024-05-25T19:00:00.000Z",
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: "{}",
    };
    const run = async (attempts: number) => {
      const batch = createMessageBatch<ReceiptMessage>("caserelay-inbox", [{ id: "m", timestamp: new Date(), attempts, body: message }]);
      const ctx = createExecutionContext();
      await worker.queue(batch as MessageBatch<never>, env, ctx);
      return getQueueResult(batch, ctx);
    };
    expect((await run(1)).explicitAcks).toEqual(["m"]);
    expect(r.hook.got).toHaveLength(1);
    await abortAllDurableObjects();
    r.api.set("ev-2", "Complete", null, "2024-05-25T19:30:00.000Z"); // even though the provider moved on
    expect((await run(2)).explicitAcks).toEqual(["m"]);
    expect(r.hook.got).toHaveLength(1);
    const view = (await api.get(`/v1/cases/${r.source.id}/ev-2`)).body;
    expect(view.events).toHaveLength(1);
  });

  it("numbers after the sequence retention moved onto the case row", async () => {
    const r = await karmacheckRelay(net);
    await env.DB.prepare(
      "INSERT INTO cases (source_id, case_id, customer_id, terminal, last_sequence, check_after, created_at, updated_at) VALUES (?1, 'ev-3', ?2, 0, 7, 0, 0, 0)",
    ).bind(r.source.id, r.customer.id).run();
    r.api.set("ev-3", "Pending", null, "2024-05-25T19:00:00.000Z");
    await r.send(kcCaseEvent("ev-3", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.got.length === 1);
    expect(r.hook.got[0]!.body.data.sequence).toBe(8);
  });
});
