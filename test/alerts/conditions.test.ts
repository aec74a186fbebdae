/**
 * Each condition opens exactly one issue for its subject, however often it is seen, and resolves
 * it when the condition clears (src/domain/issues.ts), detected where the relay already learns it.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertHousekeeping } from "../../src/alerts/housekeeping";
import { runCron } from "../../src/cron";
import { flagSilentSources } from "../../src/cron/silence";
import { getConfig } from "../../src/lib/config";
import worker from "../../src/index";
import type { ReceiptMessage } from "../../src/pipeline/messages";
import { RETRY_SCHEDULE_SECONDS } from "../../src/pipeline/schedule";
import { indexStatements, type ControlWrite } from "../../src/db/index-writes";
import { api } from "../helpers/api";
import { createCustomer, createEndpoint } from "../helpers/factories";
import { runAlarm, storedDeliveries } from "../helpers/cases";
import { stubNetwork, type Network } from "../helpers/net";
import { KC_BASE, kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";
import { issuesOf, type IssueRow } from "./helpers";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const stamp = (m: number) => new Date(Date.UTC(2024, 4, 25, 19, m)).toISOString();

/** The subject's only issue of `kind` once it is in `status`; fails if there is ever more than one. */
async function issueIn(subjectId: string, kind: string, status: string): Promise<IssueRow> {
  const rows = await eventually(
    async () => {
      const all = await issuesOf(subjectId, kind);
      return all.some((i) => i.status === status) && all;
    },
    { message: `${kind} ${status} for ${subjectId}` },
  );
  expect(rows, `one ${kind} issue for ${subjectId}`).toHaveLength(1);
  return rows[0]!;
}

/** A relay whose case `caseId` was delivered once, with the endpoint then answering `status`. */
async function failingRelay(caseId: string, status = 500) {
  const r = await karmacheckRelay(net);
  r.api.set(caseId, "Pending", null, stamp(0));
  r.hook.respond(() => new Response("down", { status }));
  await r.send(kcCaseEvent(caseId, stamp(0), "Pending", null));
  await eventually(async () => (await storedDeliveries(r.source.id, caseId))[0]?.attempts.length === 1, { message: "first attempt" });
  return r;
}

/** Runs the case's alarm with its retry due until the delivery has `attempts` attempts. */
async function attemptsUpTo(r: Awaited<ReturnType<typeof failingRelay>>, caseId: string, attempts: number) {
  for (let n = (await storedDeliveries(r.source.id, caseId))[0]!.attempts.length; n < attempts; n++) {
    await runAlarm(r.source.id, caseId, { due: true });
    await eventually(async () => (await storedDeliveries(r.source.id, caseId))[0]?.attempts.length === n + 1, { message: `attempt ${n + 1}` });
  }
}

describe("endpoint.failing", () => {
  it("opens after 5 failed attempts in a row, once, and resolves on the next success", async () => {
    const r = await failingRelay("ef-1");
    await attemptsUpTo(r, "ef-1", 4);
    // Four failures: a streak, not an issue yet (and not listed).
    await eventually(async () => (await issuesOf(r.endpoint.id, "endpoint.failing"))[0]?.count === 4, { message: "a streak of 4" });
    expect((await issuesOf(r.endpoint.id, "endpoint.failing"))[0]!.status).toBe("pending");
    expect((await api.get(`/v1/issues?customer_id=${r.customer.id}`)).body.data).toEqual([]);
    await attemptsUpTo(r, "ef-1", 5);
    const open = await issueIn(r.endpoint.id, "endpoint.failing", "open");
    expect(open).toMatchObject({ count: 5, customer_id: r.customer.id, revision: 1 });
    // More failures count on the same issue.
    await attemptsUpTo(r, "ef-1", 6);
    await eventually(async () => (await issuesOf(r.endpoint.id, "endpoint.failing"))[0]?.count === 6);
    const listed = (await api.get(`/v1/issues?customer_id=${r.customer.id}`)).body.data;
    expect(listed).toEqual([
      expect.objectContaining({ id: open.id, kind: "endpoint.failing", status: "open", count: 6, subject: { type: "endpoint", id: r.endpoint.id } }),
    ]);
    expect(listed[0].ref).toMatchObject({ source_id: r.source.id, case_id: "ef-1" });
    expect(listed[0].detail).toBe("HTTP 500");
    r.hook.respond(() => new Response("ok"));
    await runAlarm(r.source.id, "ef-1", { due: true });
    const resolved = await issueIn(r.endpoint.id, "endpoint.failing", "resolved");
    expect(resolved).toMatchObject({ id: open.id, resolved_by: "relay", resolution: "the endpoint answered 2xx again", open_key: null, revision: 2 });
  });

  it("opens no new issue for failures made before its resolution that are indexed after it, and one for failures after it", async () => {
    const customer = await createCustomer();
    const endpoint = await createEndpoint(customer.id);
    const write = (w: ControlWrite) => env.DB.batch(indexStatements(env.DB, [w]));
    const seen = (at: number, count: number): ControlWrite => ({
      kind: "issue",
      issue: "endpoint.failing",
      subjectId: endpoint.id,
      count,
      threshold: 5,
      detail: "HTTP 500",
      ref: null,
      at,
    });
    const t0 = Date.now() - 60_000;
    await write(seen(t0, 5));
    const open = await issueIn(endpoint.id, "endpoint.failing", "open");
    await write({ kind: "issue_clear", issue: "endpoint.failing", subjectId: endpoint.id, resolution: "the endpoint answered 2xx again", at: t0 + 20_000 });
    await issueIn(endpoint.id, "endpoint.failing", "resolved");
    // A case object's failures made before the success, written after it: they belong to the resolved issue.
    await write(seen(t0 + 10_000, 7));
    await write(seen(t0 + 20_000, 7));
    expect((await issuesOf(endpoint.id, "endpoint.failing")).map((i) => [i.id, i.status])).toEqual([[open.id, "resolved"]]);
    // Failures after the resolution are a new streak, and open a new issue at the threshold.
    await write(seen(t0 + 30_000, 5));
    const after = await issuesOf(endpoint.id, "endpoint.failing");
    expect(after.map((i) => i.status)).toEqual(["resolved", "open"]);
    expect(after[1]).toMatchObject({ count: 5 });
  });

  it("forgets a streak below the threshold once an attempt succeeds", async () => {
    const r = await failingRelay("ef-2");
    await attemptsUpTo(r, "ef-2", 3);
    await eventually(async () => (await issuesOf(r.endpoint.id, "endpoint.failing"))[0]?.count === 3);
    r.hook.respond(() => new Response("ok"));
    await runAlarm(r.source.id, "ef-2", { due: true });
    await eventually(async () => (await issuesOf(r.endpoint.id)).length === 0, { message: "the streak forgotten" });
  });

  it("resolves when its endpoint is deleted", async () => {
    const r = await failingRelay("ef-3");
    await attemptsUpTo(r, "ef-3", 5);
    await issueIn(r.endpoint.id, "endpoint.failing", "open");
    expect((await api.delete(`/v1/endpoints/${r.endpoint.id}`)).status).toBe(200);
    expect(await issueIn(r.endpoint.id, "endpoint.failing", "resolved")).toMatchObject({ resolution: "the endpoint was deleted" });
  });
});

describe("endpoint.disabled", () => {
  it("opens when a 410 disables the endpoint and resolves when it is re-enabled", async () => {
    const r = await failingRelay("ed-1", 410);
    const open = await issueIn(r.endpoint.id, "endpoint.disabled", "open");
    expect(open).toMatchObject({ count: 1, customer_id: r.customer.id });
    expect((await api.get(`/v1/issues/${open.id}`)).body.detail).toBe("the endpoint answered 410 Gone");
    // One failed attempt: endpoint.failing is only a streak.
    expect((await issuesOf(r.endpoint.id, "endpoint.failing"))[0]).toMatchObject({ status: "pending", count: 1 });
    r.hook.respond(() => new Response("ok"));
    expect((await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "active" })).status).toBe(200);
    expect(await issueIn(r.endpoint.id, "endpoint.disabled", "resolved")).toMatchObject({ id: open.id, resolution: "the endpoint was re-enabled" });
  });
});

describe("delivery.exhausted", () => {
  it("opens when a delivery fails after the whole schedule and resolves once no failed delivery is left", async () => {
    const r = await failingRelay("dx-1");
    await attemptsUpTo(r, "dx-1", RETRY_SCHEDULE_SECONDS.length + 1);
    const [d] = await eventually(async () => {
      const all = await storedDeliveries(r.source.id, "dx-1");
      return all[0]?.status === "failed" && all;
    });
    const open = await issueIn(r.endpoint.id, "delivery.exhausted", "open");
    expect(open.count).toBe(1);
    expect((await api.get(`/v1/issues/${open.id}`)).body).toMatchObject({
      detail: "failed after 10 attempts, the whole retry schedule",
      ref: { delivery_id: d!.id, case_id: "dx-1" },
    });
    // The streak of failed attempts opened endpoint.failing on the way.
    await issueIn(r.endpoint.id, "endpoint.failing", "open");
    // The operator recovers it: nothing is left failed, the issue resolves; the resend succeeds, so does the other.
    r.hook.respond(() => new Response("ok"));
    expect((await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: new Date(Date.now() - 3600_000).toISOString() })).status).toBe(202);
    expect(await issueIn(r.endpoint.id, "delivery.exhausted", "resolved")).toMatchObject({
      id: open.id,
      resolution: "no failed delivery is left to the endpoint",
    });
    await issueIn(r.endpoint.id, "endpoint.failing", "resolved");
  });
});

describe("source.silent", () => {
  it("opens when the cron flags the source, once, and resolves with the next webhook", async () => {
    const r = await karmacheckRelay(net);
    await api.patch(`/v1/sources/${r.source.id}`, { silence_after_seconds: 300 });
    await env.DB.prepare("UPDATE sources SET created_at = ?2 WHERE id = ?1")
      .bind(r.source.id, Date.now() - 3600_000)
      .run();
    await flagSilentSources(env, Date.now());
    const open = await issueIn(r.source.id, "source.silent", "open");
    expect(open.customer_id).toBe(r.customer.id);
    await runCron(env, Date.now() + 60_000, { retention: false });
    expect(await issuesOf(r.source.id, "source.silent")).toHaveLength(1);
    r.api.set("sl-1", "Pending", null, stamp(0));
    await r.send(kcCaseEvent("sl-1", stamp(0), "Pending", null));
    expect(await issueIn(r.source.id, "source.silent", "resolved")).toMatchObject({ id: open.id, resolution: "a webhook arrived" });
  });
});

describe("source.refetch_failing and receipt.failed", () => {
  it("open after refetches the provider refuses and resolve once it answers again and the receipts are replayed", async () => {
    const r = await karmacheckRelay(net);
    let refuse = true;
    net.on(`${KC_BASE}/case/id/rf-`, (req) => {
      const id = decodeURIComponent(new URL(req.url).pathname.split("/").pop()!);
      return refuse
        ? new Response("bad request", { status: 400 })
        : new Response(JSON.stringify({ cases: [{ id, caseStatus: "Pending", modStamp: stamp(1) }] }), { headers: { "content-type": "application/json" } });
    });
    for (const id of ["rf-1", "rf-2"]) await r.send(kcCaseEvent(id, stamp(0), "Pending", null));
    await eventually(async () => (await issuesOf(r.source.id, "source.refetch_failing"))[0]?.count === 2, { message: "a streak of 2" });
    expect((await issuesOf(r.source.id, "source.refetch_failing"))[0]!.status).toBe("pending");
    // A receipt that failed for good is an issue at once.
    const failed = await issueIn(r.source.id, "receipt.failed", "open");
    await r.send(kcCaseEvent("rf-3", stamp(0), "Pending", null));
    const open = await issueIn(r.source.id, "source.refetch_failing", "open");
    expect(open.count).toBe(3);
    expect((await api.get(`/v1/issues/${open.id}`)).body.detail).toContain("KarmaCheck /case/id answered 400");
    await eventually(async () => (await issuesOf(r.source.id, "receipt.failed"))[0]?.count === 3);
    expect(await issuesOf(r.source.id, "receipt.failed")).toHaveLength(1);

    // The provider answers again: the next refetch resolves source.refetch_failing, not receipt.failed.
    refuse = false;
    r.api.set("rf-ok", "Pending", null, stamp(0));
    await r.send(kcCaseEvent("rf-ok", stamp(0), "Pending", null));
    expect(await issueIn(r.source.id, "source.refetch_failing", "resolved")).toMatchObject({ id: open.id, resolution: "the provider API answered again" });
    expect((await issuesOf(r.source.id, "receipt.failed"))[0]!.status).toBe("open");
    // Each failed receipt replayed: the last one resolves it.
    const receipts = (await env.DB.prepare("SELECT id FROM failed_receipts WHERE source_id = ?").bind(r.source.id).all<{ id: string }>()).results;
    expect(receipts).toHaveLength(3);
    for (const [i, { id }] of receipts.entries()) {
      expect((await api.post(`/v1/receipts/${id}/replay`)).body.outcome).toBe("forwarded");
      if (i < receipts.length - 1) expect((await issuesOf(r.source.id, "receipt.failed"))[0]!.status).toBe("open");
    }
    expect(await issueIn(r.source.id, "receipt.failed", "resolved")).toMatchObject({ id: failed.id, resolution: "no failed receipt is left to the source" });
  });

  it("receipt.failed opens for a dead-lettered receipt", async () => {
    const r = await karmacheckRelay(net);
    const body: ReceiptMessage = {
      kind: "receipt",
      id: `rcv_01JD${crypto
        .randomUUID()
        .replace(/-/g, "")
        .slice(0, 22)
        .toUpperCase()
        .replace(/[ILOU]/g, "A")}`,
      source_id: r.source.id,
      customer_id: r.customer.id,
      case_id: "dl-1",
      dedupe_key: JSON.stringify([crypto.randomUUID()]),
      subject: "case",
      provider_event_id: "m-dl",
      event_type: "case.statuschange",
      version: stamp(0),
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: JSON.stringify(kcCaseEvent("dl-1", stamp(0), "Pending", null)),
    };
    const batch = createMessageBatch<ReceiptMessage>("caserelay-inbox-dlq", [{ id: "dl", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<never>, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dl"]);
    const open = await issueIn(r.source.id, "receipt.failed", "open");
    expect((await api.get(`/v1/issues/${open.id}`)).body).toMatchObject({
      detail: "a receipt was dead-lettered after every retry",
      ref: { receipt_id: body.id, case_id: "dl-1" },
    });
    r.api.set("dl-1", "Pending", null, stamp(0));
    expect((await api.post(`/v1/receipts/${body.id}/replay`)).body.outcome).toBe("forwarded");
    await issueIn(r.source.id, "receipt.failed", "resolved");
  });
});

describe("case.recovered_by_reconcile", () => {
  it("opens (informational) when a reconcile forwards a change, counts the next, and resolves after 24 quiet hours", async () => {
    const r = await karmacheckRelay(net);
    await api.patch(`/v1/sources/${r.source.id}`, { reconcile_after_seconds: 600 });
    for (const id of ["rc-1", "rc-2"]) {
      r.api.set(id, "Pending", null, stamp(0));
      await r.send(kcCaseEvent(id, stamp(0), "Pending", null));
      await eventually(() => r.hook.forCase(id).length === 1);
      await eventually(async () => (await env.DB.prepare("SELECT 1 FROM cases WHERE source_id = ? AND case_id = ?").bind(r.source.id, id).first()) !== null);
    }
    // Both changes are missed by webhooks; the cron finds them.
    r.api.set("rc-1", "Complete", null, stamp(30));
    r.api.set("rc-2", "Complete", null, stamp(30));
    const at = Date.now() + 601_000;
    await runCron(env, at, { retention: false });
    await eventually(() => r.hook.forCase("rc-1").length === 2 && r.hook.forCase("rc-2").length === 2);
    const open = await issueIn(r.source.id, "case.recovered_by_reconcile", "open");
    expect(open.count).toBe(2);
    expect((await api.get(`/v1/issues/${open.id}`)).body).toMatchObject({ informational: true, ref: { source_id: r.source.id } });
    // Quiet for less than a day: still open; past it, resolved.
    await alertHousekeeping(env, at + 3600_000, getConfig(env));
    expect((await issuesOf(r.source.id, "case.recovered_by_reconcile"))[0]!.status).toBe("open");
    await alertHousekeeping(env, at + 25 * 3600_000, getConfig(env));
    expect(await issueIn(r.source.id, "case.recovered_by_reconcile", "resolved")).toMatchObject({ resolution: "no other occurrence for 24 hours" });
  });
});
