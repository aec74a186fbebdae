/** What could not be processed after every retry ends visible and replayable, never dropped. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { ReceiptMessage } from "../../src/pipeline/messages";
import { api } from "../helpers/api";
import { createCustomer, createEndpoint, createSource, sampleConfigs } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => {
  net.restore();
  vi.restoreAllMocks();
});

async function deadLetter(body: ReceiptMessage) {
  const batch = createMessageBatch<ReceiptMessage>("caserelay-inbox-dlq", [{ id: "dl", timestamp: new Date(), attempts: 1, body }]);
  const retry = vi.spyOn(batch.messages[0]!, "retry");
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, env, ctx);
  return { ...(await getQueueResult(batch, ctx)), retry };
}

const message = (sourceId: string, customerId: string, caseId: string, body: unknown): ReceiptMessage => ({
  kind: "receipt",
  id: `rcv_01JD${crypto
    .randomUUID()
    .replace(/-/g, "")
    .slice(0, 22)
    .toUpperCase()
    .replace(/[ILOU]/g, "A")}`,
  source_id: sourceId,
  customer_id: customerId,
  case_id: caseId,
  dedupe_key: JSON.stringify([crypto.randomUUID()]),
  subject: "case",
  provider_event_id: "m-dl",
  event_type: "applicant.stage_changed",
  version: "2024-05-25T19:00:00.000Z",
  received_at: Date.now(),
  body_sha256: "0".repeat(64),
  body: JSON.stringify(body),
});

describe("dead letters", () => {
  it("are recorded as failed by their case, shown with their body, indexed, and made due for a reconcile", async () => {
    const c = await createCustomer();
    const s = await createSource(c.id);
    const m = message(s.id, c.id, "dl-case", { event: "case.statuschange" });
    const result = await deadLetter(m);
    expect(result.explicitAcks).toEqual(["dl"]);
    const view = (await api.get(`/v1/cases/${s.id}/dl-case`)).body;
    expect(view.receipts).toEqual([expect.objectContaining({ id: m.id, outcome: "failed", reason: "dead_lettered", body: { event: "case.statuschange" } })]);
    const failed = await env.DB.prepare("SELECT * FROM failed_receipts WHERE id = ?").bind(m.id).first();
    expect(failed).toMatchObject({ customer_id: c.id, source_id: s.id, case_id: "dl-case", reason: "dead_lettered" });
    const row = await env.DB.prepare("SELECT terminal, check_after FROM cases WHERE source_id = ? AND case_id = 'dl-case'")
      .bind(s.id)
      .first<{ terminal: number; check_after: number }>();
    expect(row!.terminal).toBe(0);
    expect(row!.check_after).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it("are retried, never acknowledged, while their case cannot record them", async () => {
    const c = await createCustomer();
    const s = await createSource(c.id);
    const { CaseObject } = await import("../../src/index");
    vi.spyOn(CaseObject.prototype, "deadLetter").mockRejectedValue(new Error("object unavailable"));
    const result = await deadLetter(message(s.id, c.id, "dl-down", {}));
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "dl" }]);
    expect(result.retry).toHaveBeenCalledWith({ delaySeconds: 300 });
  });

  it("can be replayed, even for a provider without an API: the kept body is forwarded", async () => {
    const c = await createCustomer();
    const s = await createSource(c.id, "keldair", sampleConfigs.keldair());
    const ep = await createEndpoint(c.id);
    const hook = receiver(net, ep.url, () => ep.secret);
    const m = message(s.id, c.id, "app_dl", {
      id: "kd-1",
      type: "applicant.stage_changed",
      dateOccurred: "2024-05-25T19:00:00+00:00",
      data: { id: "app_dl", stage: "offer" },
    });
    await deadLetter(m);
    const replay = await api.post(`/v1/receipts/${m.id}/replay`);
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body).toMatchObject({ receipt_id: m.id, outcome: "forwarded", event_id: `evt_${m.id.slice(4)}` });
    await eventually(() => hook.got.length === 1);
    expect(hook.got[0]!.body.data).toMatchObject({ case_id: "app_dl", sequence: 1, verified: false, state: { data: { stage: "offer" } } });
    expect(await env.DB.prepare("SELECT 1 FROM failed_receipts WHERE id = ?").bind(m.id).first()).toBeNull();
    // Only failed receipts can be replayed, and a customer sees only its own.
    expect((await api.post(`/v1/receipts/${m.id}/replay`)).status).toBe(404);
    const other = await createCustomer();
    const m2 = message(s.id, c.id, "app_dl2", { id: "kd-2", type: "x", data: { id: "app_dl2" } });
    await deadLetter(m2);
    const refused = await api.post(`/v1/receipts/${m2.id}/replay`, undefined, other.api_key);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe("not_found");
  });
});
