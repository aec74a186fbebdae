/**
 * What a case object decides beyond the happy path: unauthenticated webhooks that can only cause a
 * refetch, a provider's final "no" to a refetch, and a provider redelivery after the dedupe window.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, request } from "../helpers/api";
import { caseStub, storedReceipts } from "../helpers/cases";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { json, stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const DAY = 86_400_000;

/** A Case Keeper source without a webhook token (anyone may post to it), its API faked by the test. */
async function unauthenticatedCaseKeeper() {
  const customer = await createCustomer();
  const base = `https://ck-${customer.id.toLowerCase()}.lifecycle.test`;
  const source = await createSource(customer.id, "casekeeper", { api: { base_url: base, client_id: "relay", client_secret: "ck-lifecycle-secret-0123" } });
  const endpoint = await createEndpoint(customer.id);
  const hook = receiver(net, endpoint.url, () => endpoint.secret);
  const states = new Map<string, Record<string, unknown>>();
  net.on(`${base}/auth/`, () => json({ access_token: "ck-access", expires_in: 3600 }));
  net.on(`${base}/api/v3/case-keeper/verifications/`, (req) => {
    const s = states.get(decodeURIComponent(new URL(req.url).pathname.split("/").pop()!));
    return s ? json({ data: s }) : new Response("not found", { status: 404 });
  });
  const post = (body: unknown) =>
    request("POST", `/in/${source.id}`, { token: null, raw: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return { source, hook, states, post };
}

describe("an unauthenticated source", () => {
  it("takes versions and statuses from the refetched state, never from the body: a forged webhook can only cause a refetch", async () => {
    const ck = await unauthenticatedCaseKeeper();
    ck.states.set("v-1", { id: "v-1", status: "in_progress", updatedAt: "2024-06-01T08:30:00.000Z", frontIdCardResult: { status: "in_progress" } });
    // Forged: claims the verification completed, with a version far in the future.
    const forged = await ck.post({
      key: "verification.frontIdCardResult.confirmed",
      data: { id: "v-1", status: "completed", updatedAt: "2099-01-01T00:00:00.000Z" },
    });
    expect(forged.status).toBe(200);
    await eventually(() => ck.hook.got.length === 1, { message: "the refetched state forwarded" });
    const first = ck.hook.got[0]!.body.data;
    expect(first).toMatchObject({ status: "in_progress", verified: true, check: { id: "frontIdCardResult", status: "in_progress" } });
    // The version recorded is the provider's, so the forged one does not make the next real change stale.
    const [r1] = await storedReceipts(ck.source.id, "v-1");
    const version = await runInDurableObject(
      caseStub(ck.source.id, "v-1"),
      (_o, state) => state.storage.sql.exec("SELECT version FROM receipts WHERE id = ?", r1!.id).one().version,
    );
    expect(version).toBe("2024-06-01T08:30:00.000Z");
    ck.states.set("v-1", { id: "v-1", status: "completed", updatedAt: "2024-06-01T09:00:00.000Z", frontIdCardResult: { status: "completed" } });
    await ck.post({ key: "verification.completed", data: { id: "v-1", updatedAt: "2024-06-01T09:00:00.000Z" } });
    await eventually(() => ck.hook.got.length === 2, { message: "the real completion forwarded" });
    expect(ck.hook.got[1]!.body).toMatchObject({ type: "case.completed", data: { sequence: 2, status: "completed" } });
  });
});

describe("a refetch the provider refuses for good", () => {
  it("fails the receipt at once (a 4xx other than 408/429), shows and indexes it, and replays it once fixed", async () => {
    const r = await karmacheckRelay(net);
    let refuse = true;
    net.on("https://api-stage.karmacheck.io/case/id/rf-1", () =>
      refuse ? new Response("bad request", { status: 400 }) : json({ cases: [{ id: "rf-1", caseStatus: "Pending", modStamp: "2024-05-25T19:00:00.000Z" }] }),
    );
    const res = await r.send(kcCaseEvent("rf-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const receipt = await eventually(async () => (await storedReceipts(r.source.id, "rf-1")).find((x) => x.outcome === "failed"), {
      message: "the receipt failed",
    });
    expect(receipt).toMatchObject({ id: res.body.id, reason: "refetch_rejected" });
    // Not retried: one call, not the three tries of a transient failure, and no pending receipt.
    expect(net.callsTo("https://api-stage.karmacheck.io/case/id/rf-1")).toHaveLength(1);
    const indexed = await eventually(() => env.DB.prepare("SELECT * FROM failed_receipts WHERE id = ?").bind(res.body.id).first(), {
      message: "indexed as failed",
    });
    expect(indexed).toMatchObject({ source_id: r.source.id, case_id: "rf-1", reason: "refetch_rejected" });
    expect(r.hook.got).toHaveLength(0);
    refuse = false;
    const replay = await api.post(`/v1/receipts/${res.body.id}/replay`);
    expect(replay.body).toMatchObject({ outcome: "forwarded" });
    await eventually(() => r.hook.got.length === 1);
    expect(await env.DB.prepare("SELECT 1 FROM failed_receipts WHERE id = ?").bind(res.body.id).first()).toBeNull();
  });

  it("keeps retrying a 429 or a 5xx (the receipt waits, pending, saying why)", async () => {
    const r = await karmacheckRelay(net);
    net.on("https://api-stage.karmacheck.io/case/id/rf-2", () => new Response("slow down", { status: 429 }));
    await r.send(kcCaseEvent("rf-2", "2024-05-25T19:00:00.000Z", "Pending", null));
    const receipt = await eventually(async () => (await storedReceipts(r.source.id, "rf-2")).find((x) => x.reason === "refetch_failed"), {
      message: "pending, saying why",
    });
    expect(receipt.outcome).toBe("pending");
  });
});

describe("a provider redelivery after the dedupe window", () => {
  it("is a receipt of its own, and the event of the first one stays whole", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("dw-1", "Pending", null, "2024-05-25T19:00:00.000Z");
    const webhook = kcCaseEvent("dw-1", "2024-05-25T19:00:00.000Z", "Pending", null);
    const first = await r.send(webhook);
    await eventually(() => r.hook.got.length === 1);
    // Eight days pass.
    await runInDurableObject(caseStub(r.source.id, "dw-1"), (_o, state) => {
      state.storage.sql.exec("UPDATE receipts SET received_at = received_at - ?", 8 * DAY);
    });
    const again = await r.send(webhook);
    const receipts = await eventually(
      async () => {
        const rows = await storedReceipts(r.source.id, "dw-1");
        return rows.length === 2 && rows.every((x) => x.outcome !== "pending") && rows;
      },
      { message: "two receipts decided" },
    );
    expect(receipts.map((x) => x.id)).toEqual([first.body.id, again.body.id]);
    // Same provider state: nothing new to forward; the first event and its delivery are untouched.
    expect(receipts[1]!.outcome).toBe("unchanged");
    expect(receipts[0]).toMatchObject({ outcome: "forwarded", event_id: `evt_${first.body.id.slice(4)}` });
    expect((await api.get(`/v1/events/evt_${first.body.id.slice(4)}`)).status).toBe(200);
  });
});
