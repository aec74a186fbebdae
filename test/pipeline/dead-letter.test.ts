/** What could not be processed after every retry ends visible, never dropped. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { DeliveryMessage, ReceiptMessage } from "../../src/pipeline/messages";
import { api } from "../helpers/api";
import { createCustomer, createSource } from "../helpers/factories";

async function deadLetter<T>(queue: string, body: T) {
  const batch = createMessageBatch<T>(queue, [{ id: "dl", timestamp: new Date(), attempts: 11, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("dead letters", () => {
  it("record a receipt that could not be processed as failed, with its body, and make its case due for a reconcile", async () => {
    const c = await createCustomer();
    const s = await createSource(c.id);
    const message: ReceiptMessage = {
      kind: "receipt",
      id: "rcv_01JD00000000000000000000D1",
      source_id: s.id,
      customer_id: c.id,
      case_id: "dl-case",
      dedupe_key: "k-dl",
      subject: "case",
      provider_event_id: "m-dl",
      event_type: "case.statuschange",
      version: "2024-05-25T19:00:00.000Z",
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: '{"event":"case.statuschange"}',
    };
    const result = await deadLetter("caserelay-inbox-dlq", message);
    expect(result.ackAll).toBe(true);
    const view = (await api.get(`/v1/cases/${s.id}/dl-case`)).body;
    expect(view.receipts).toEqual([expect.objectContaining({ id: message.id, outcome: "failed", detail: expect.stringContaining("dead-lettered"), body: { event: "case.statuschange" } })]);
    const row = await env.DB.prepare("SELECT terminal, check_after FROM cases WHERE source_id = ? AND case_id = 'dl-case'").bind(s.id).first<{ terminal: number; check_after: number }>();
    expect(row!.terminal).toBe(0);
    expect(row!.check_after).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it("mark a delivery whose retries were exhausted as failed, so recover can send it again", async () => {
    const c = await createCustomer();
    await env.DB.prepare(
      `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, source_id, case_id, sequence, status, next_attempt_at, created_at, updated_at)
       VALUES ('dlv_01JD00000000000000000000D2AAAAAA', 'evt_01JD00000000000000000000D2', 'ep_x', ?1, 'src_x', 'c', 1, 'retrying', 1, 1, 1)`,
    ).bind(c.id).run();
    const message: DeliveryMessage = { kind: "delivery", delivery_id: "dlv_01JD00000000000000000000D2AAAAAA", event_id: "evt_01JD00000000000000000000D2", endpoint_id: "ep_x", source_id: "src_x", case_id: "c", due_at: 1 };
    expect((await deadLetter("caserelay-delivery-dlq", message)).ackAll).toBe(true);
    const row = await env.DB.prepare("SELECT status, next_attempt_at FROM deliveries WHERE id = ?").bind(message.delivery_id).first();
    expect(row).toEqual({ status: "failed", next_attempt_at: null });
  });
});
