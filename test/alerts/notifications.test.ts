/**
 * Notifications (src/alerts/notifier.ts): signed the Standard Webhooks way and verified with the
 * official library; a customer's alert endpoint never gets another customer's issue; escalations
 * rate-limited per issue, so a flood of failures is one issue and a bounded number of
 * notifications; a failed notification retried with backoff; an alert endpoint that hangs slows
 * neither ingest nor delivery.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AlertMessage } from "../../src/alerts/messages";
import { ALERT_MAX_ATTEMPTS, ALERT_RETRY_SECONDS, mayReceive, planIssue } from "../../src/alerts/notifier";
import { notificationFor } from "../../src/alerts/view";
import { createDb } from "../../src/db/client";
import { indexStatements, type IndexWrite } from "../../src/db/index-writes";
import { issues, type IssueRow as Row } from "../../src/db/schema";
import worker from "../../src/index";
import { getConfig } from "../../src/lib/config";
import { newId } from "../../src/lib/ids";
import { flagSilentSources } from "../../src/cron/silence";
import type { ReceiptMessage } from "../../src/pipeline/messages";
import { eq } from "drizzle-orm";
import { api } from "../helpers/api";
import { runAlarm, storedDeliveries } from "../helpers/cases";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";
import { alertEndpoint, issuesOf } from "./helpers";

let net: Network;
const cleanup: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  net = stubNetwork();
});
afterEach(async () => {
  // The operator's alert endpoints receive every issue: none may outlive its test.
  for (const done of cleanup.splice(0)) await done();
  net.restore();
  vi.restoreAllMocks();
});

const stamp = (m: number) => new Date(Date.UTC(2024, 4, 25, 19, m)).toISOString();

/** An alert endpoint removed after the test. */
async function alerts(opts: Parameters<typeof alertEndpoint>[1] = {}) {
  const a = await alertEndpoint(net, opts);
  cleanup.push(a.remove);
  return a;
}

/** A KarmaCheck relay whose endpoint fails until told otherwise; `failures` webhooks (one case each) open its endpoint.failing. */
async function failingEndpoint(failures = 5) {
  const r = await karmacheckRelay(net);
  r.hook.respond(() => new Response("down", { status: 503 }));
  for (let i = 0; i < failures; i++) {
    r.api.set(`fe-${i}`, "Pending", null, stamp(0));
    await r.send(kcCaseEvent(`fe-${i}`, stamp(0), "Pending", null));
  }
  return r;
}

const openIssue = (subjectId: string, kind = "endpoint.failing") =>
  eventually(async () => (await issuesOf(subjectId, kind)).find((i) => i.status === "open"), { message: `${kind} open` });

describe("notifications", () => {
  it("announce an issue's opening and resolution, signed so that standardwebhooks verifies them", async () => {
    const operator = await alerts();
    const r = await failingEndpoint();
    const issue = await openIssue(r.endpoint.id);
    const [opened] = await eventually(() => operator.about(r.endpoint.id).length >= 1 && operator.about(r.endpoint.id), { message: "the opening notified" });
    expect(opened!.verified).toBe(true);
    expect(opened!.id).toBe(opened!.body.data.notification_id);
    expect(Math.abs(Number(opened!.timestamp) - Date.now() / 1000)).toBeLessThan(30);
    expect(opened!.body).toMatchObject({
      type: "endpoint.failing",
      data: {
        transition: "opened",
        issue: {
          id: issue.id,
          kind: "endpoint.failing",
          status: "open",
          subject: { type: "endpoint", id: r.endpoint.id },
          customer_id: r.customer.id,
          count: 5,
          threshold: 5,
          detail: "HTTP 503",
          links: { issue: `/v1/issues/${issue.id}`, console: `/console/issues?status=open#${issue.id}`, subject: `/v1/endpoints/${r.endpoint.id}` },
        },
      },
    });
    expect(opened!.body.data.issue.links.case).toMatch(new RegExp(`^/v1/cases/${r.source.id}/fe-\\d$`));
    // Nothing of the endpoint's own secret or URL travels in it.
    expect(opened!.raw).not.toContain(r.endpoint.secret);

    r.hook.respond(() => new Response("ok"));
    r.api.set("fe-ok", "Pending", null, stamp(0));
    await r.send(kcCaseEvent("fe-ok", stamp(0), "Pending", null));
    const resolved = await eventually(() => operator.about(r.endpoint.id).find((a) => a.body.data.transition === "resolved"), {
      message: "the resolution notified",
    });
    expect(resolved.verified).toBe(true);
    expect(resolved.body).toMatchObject({
      type: "endpoint.recovered",
      data: { issue: { id: issue.id, status: "resolved", resolved_by: "relay", resolution: "the endpoint answered 2xx again" } },
    });
    expect(resolved.id).not.toBe(opened!.id);
    expect(operator.about(r.endpoint.id)).toHaveLength(2);
    const view = (await api.get(`/v1/alert-endpoints/${operator.endpoint.id}`)).body;
    expect(view.last_success_at).not.toBeNull();
  });

  it("reach a customer's alert endpoint only for its own endpoints' issues, never another customer's", async () => {
    const operator = await alerts();
    const a = await failingEndpoint();
    const b = await karmacheckRelay(net);
    const mine = await alerts({ token: a.customer.api_key });
    const theirs = await alerts({ token: b.customer.api_key });
    expect(mine.endpoint.customer_id).toBe(a.customer.id);
    const sent: AlertMessage[] = [];
    const real = env.ALERTS.sendBatch.bind(env.ALERTS);
    vi.spyOn(env.ALERTS, "sendBatch").mockImplementation(async (batch) => {
      sent.push(...[...batch].map((m) => m.body as AlertMessage));
      return real(batch);
    });
    // Opened before the alert endpoints existed: a resolution reaches them. And a source issue of A's, for the operator only.
    const issue = await openIssue(a.endpoint.id);
    await env.DB.prepare("UPDATE sources SET created_at = ?2, last_receipt_at = ?2, silence_after_seconds = 300 WHERE id = ?1")
      .bind(a.source.id, Date.now() - 3600_000)
      .run();
    await flagSilentSources(env, Date.now());
    await eventually(() => operator.about(a.source.id).length === 1, { message: "the operator told of the silent source" });
    a.hook.respond(() => new Response("ok"));
    a.api.set("fe-ok", "Pending", null, stamp(0));
    await a.send(kcCaseEvent("fe-ok", stamp(0), "Pending", null));
    await eventually(() => mine.about(a.endpoint.id).some((n) => n.body.data.transition === "resolved"), { message: "A told" });
    await eventually(() => operator.about(a.endpoint.id).some((n) => n.body.data.transition === "resolved"), { message: "the operator told" });
    // Who the notifier addressed: never B's alert endpoint, and A's only about A's endpoint.
    const addressed = sent.filter((m): m is Extract<AlertMessage, { kind: "alert_deliver" }> => m.kind === "alert_deliver");
    expect(addressed.filter((m) => m.alert_endpoint_id === theirs.endpoint.id)).toEqual([]);
    // (The opening may have been planned before A's alert endpoint existed, or after.)
    expect(new Set(addressed.filter((m) => m.alert_endpoint_id === mine.endpoint.id).map((m) => m.notification.data.issue.id))).toEqual(new Set([issue.id]));
    expect(theirs.got).toEqual([]);
    expect(mine.got.every((n) => n.body.data.issue.customer_id === a.customer.id && n.verified)).toBe(true);
    expect(mine.about(a.source.id)).toEqual([]);
    // And what B's key sees of issues: nothing of A's.
    expect((await api.get("/v1/issues", b.customer.api_key)).body.data.filter((i: { customer_id: string }) => i.customer_id !== b.customer.id)).toEqual([]);
    expect((await api.get(`/v1/issues/${issue.id}`, b.customer.api_key)).status).toBe(404);
  });

  it("are checked again at send time: a customer's alert endpoint never sends another customer's issue", () => {
    const n = { data: { issue: { kind: "endpoint.failing", customer_id: "cus_A" } } } as never;
    expect(mayReceive({ customerId: null, kinds: null }, n)).toBe(true);
    expect(mayReceive({ customerId: "cus_A", kinds: null }, n)).toBe(true);
    expect(mayReceive({ customerId: "cus_B", kinds: null }, n)).toBe(false);
    expect(mayReceive({ customerId: "cus_A", kinds: ["delivery.exhausted"] }, n)).toBe(false);
    const silent = { data: { issue: { kind: "source.silent", customer_id: "cus_A" } } } as never;
    expect(mayReceive({ customerId: "cus_A", kinds: null }, silent)).toBe(false);
    expect(mayReceive({ customerId: null, kinds: null }, silent)).toBe(true);
  });
});

describe("rate limit", () => {
  /** An issue of an endpoint written straight to D1 (no announcement: the test plans it). */
  async function seen(endpointId: string, count: number, at = Date.now()) {
    const w: IndexWrite = { kind: "issue", issue: "endpoint.failing", subjectId: endpointId, count, threshold: 5, detail: "HTTP 500", ref: null, at };
    await env.DB.batch(indexStatements(env.DB, [w]));
    return (await issuesOf(endpointId, "endpoint.failing"))[0]!;
  }

  it("sends an escalation at most once per ALERT_REPEAT_SECONDS, with the latest count, and none for an acknowledged issue", async () => {
    const config = getConfig(env);
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    const queued: AlertMessage[] = [];
    vi.spyOn(env.ALERTS, "sendBatch").mockImplementation(async (batch) => {
      queued.push(...[...batch].map((m) => m.body as AlertMessage));
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as never;
    });
    const operator = await alerts();
    const now = Date.now();
    const issue = await seen(ep.id, 5, now);
    expect(await planIssue(env, config, issue.id, now)).toBe("sent");
    expect(queued.filter((m) => m.kind === "alert_deliver").map((m) => (m as any).notification.data.transition)).toEqual(["opened"]);
    // Ten times the threshold: an escalation, held back until the repeat interval has passed.
    await seen(ep.id, 45, now + 1000);
    expect(await planIssue(env, config, issue.id, now + 1000)).toBe("deferred");
    const held = (await issuesOf(ep.id, "endpoint.failing"))[0]! as unknown as { plan_at: number };
    expect(held.plan_at).toBe(now + config.alertRepeatMs);
    // A delayed plan is queued once, however many changes ask.
    expect(await planIssue(env, config, issue.id, now + 2000)).toBe("deferred");
    expect(queued.filter((m) => m.kind === "alert_plan")).toHaveLength(1);
    await seen(ep.id, 450, now + 3000);
    expect(await planIssue(env, config, issue.id, now + config.alertRepeatMs)).toBe("sent");
    const escalation = queued.filter((m): m is Extract<AlertMessage, { kind: "alert_deliver" }> => m.kind === "alert_deliver").at(-1)!;
    expect(escalation.notification).toMatchObject({ type: "endpoint.failing", data: { transition: "escalated", issue: { count: 500 } } });
    expect(escalation.alert_endpoint_id).toBe(operator.endpoint.id);
    // Acknowledged: its growth is recorded, not notified; its resolution is.
    expect((await api.patch(`/v1/issues/${issue.id}`, { status: "acknowledged" })).body.status).toBe("acknowledged");
    await seen(ep.id, 5000, now + 4000);
    const before = queued.length;
    expect(await planIssue(env, config, issue.id, now + 2 * config.alertRepeatMs)).toBe("silent");
    expect(queued).toHaveLength(before);
    const resolved = await api.patch(`/v1/issues/${issue.id}`, { status: "resolved" });
    expect(resolved.body).toMatchObject({ status: "resolved", resolved_by: "operator" });
    expect(await planIssue(env, config, issue.id, now + 2 * config.alertRepeatMs)).toBe("sent");
    expect(queued.filter((m) => m.kind === "alert_deliver").at(-1)).toMatchObject({
      notification: { type: "endpoint.recovered", data: { transition: "resolved" } },
    });
    expect(await planIssue(env, config, issue.id, now + 2 * config.alertRepeatMs)).toBe("nothing");
  });

  it("keeps a flood of 1,000 failing deliveries to one endpoint to one issue and a bounded number of notifications", async () => {
    const seed = Number(process.env.VITE_FLOOD_SEED ?? 1_500);
    console.log(`flood seed ${seed}`);
    const c = await createCustomer();
    const secret = `whsec_${btoa("flood-keldair-signing-secret-01")}`;
    // Keldair without a refetch template: bodies forwarded as sent, no provider API in the way.
    const source = await createSource(c.id, "keldair", { verify: { secret } });
    const ep = await createEndpoint(c.id, { url: `https://hooks.example.com/flood-${c.id}` });
    const hook = receiver(net, ep.url, () => ep.secret);
    hook.respond(() => new Response("down", { status: 500 }));
    const operator = await alerts();
    cleanup.push(() => api.delete(`/v1/endpoints/${ep.id}`));
    const CASES = 10;
    const PER_CASE = 100;
    const base = Date.now() - 3600_000;
    for (let k = 0; k < CASES; k++) {
      const caseId = `flood-${seed}-${k}`;
      const messages: ReceiptMessage[] = Array.from({ length: PER_CASE }, (_, i) => {
        const id = newId("rcv");
        const dateOccurred = new Date(base + i * 1000).toISOString();
        return {
          kind: "receipt",
          id,
          source_id: source.id,
          customer_id: c.id,
          case_id: caseId,
          dedupe_key: JSON.stringify([`${caseId}-${i}`]),
          subject: "case",
          provider_event_id: `${caseId}-${i}`,
          event_type: "applicant.stage_changed",
          version: dateOccurred,
          received_at: Date.now(),
          body_sha256: "0".repeat(64),
          body: JSON.stringify({
            id: `${caseId}-${i}`,
            type: "applicant.stage_changed",
            version: "2022-02-23",
            dateOccurred,
            data: { id: caseId, stage: `stage-${i}` },
          }),
        };
      });
      await env.INBOX.sendBatch(messages.map((body) => ({ body, contentType: "json" })));
    }
    const stored = async () => {
      let n = 0;
      for (let k = 0; k < CASES; k++) n += (await storedDeliveries(source.id, `flood-${seed}-${k}`)).length;
      return n;
    };
    // Every event processed (on a busy machine retries may already count before the last is), then counted.
    await eventually(async () => (await stored()) === CASES * PER_CASE, { timeout: 60_000, message: "1,000 deliveries stored" });
    // And every consumer batch's index writes in: its receipt counters ride in the same D1 batch as
    // its first attempts' failures, which would otherwise land after the endpoint's recovery below.
    await eventually(
      async () =>
        (await env.DB.prepare("SELECT coalesce(sum(receipts), 0) AS n FROM source_days WHERE source_id = ?1").bind(source.id).first<{ n: number }>())?.n ===
        CASES * PER_CASE,
      { timeout: 60_000, message: "1,000 receipts indexed" },
    );
    const issue = await eventually(async () => (await issuesOf(ep.id, "endpoint.failing")).find((i) => i.count >= CASES * PER_CASE), {
      timeout: 60_000,
      message: "1,000 failed attempts counted",
    });
    expect(await issuesOf(ep.id, "endpoint.failing")).toHaveLength(1);
    expect(issue.status).toBe("open");
    // The count went past 50 and 500: escalations, held back by the repeat interval.
    expect(issue.revision).toBeGreaterThanOrEqual(3);
    await eventually(() => operator.about(ep.id).length >= 1, { message: "the opening notified" });
    // Within ALERT_REPEAT_SECONDS of the opening, no escalation goes out, whatever the count.
    expect(operator.about(ep.id).map((n) => n.body.data.transition)).toEqual(["opened"]);

    // The endpoint comes back: one more notification, the resolution.
    hook.respond(() => new Response("ok"));
    await runAlarm(source.id, `flood-${seed}-0`, { due: true });
    await eventually(() => operator.about(ep.id).some((n) => n.body.data.transition === "resolved"), { timeout: 20_000, message: "the resolution notified" });
    expect(operator.about(ep.id).map((n) => n.body.data.transition)).toEqual(["opened", "resolved"]);
    expect(await issuesOf(ep.id)).toHaveLength(1);
    expect(await stored()).toBe(CASES * PER_CASE);
  }, 120_000);
});

describe("delivery of notifications", () => {
  async function deliverOnce(alertEndpointId: string, attempts: number) {
    const row = {
      id: "iss_01JD00000000000000000000A1",
      kind: "endpoint.failing",
      status: "open",
      subjectType: "endpoint",
      subjectId: "ep_x",
      customerId: "cus_x",
      count: 5,
      threshold: 5,
      detail: "HTTP 500",
      ref: null,
      firstSeenAt: 1,
      lastSeenAt: 2,
      acknowledgedAt: null,
      resolvedAt: null,
      resolvedBy: null,
      resolution: null,
      revision: 1,
    } as unknown as Row;
    const body: AlertMessage = { kind: "alert_deliver", alert_endpoint_id: alertEndpointId, notification: notificationFor(row, "opened", Date.now()) };
    const batch = createMessageBatch<AlertMessage>("caserelay-alerts", [{ id: "m1", timestamp: new Date(), attempts, body }]);
    const retry = vi.spyOn(batch.messages[0]!, "retry");
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<never>, env, ctx);
    const result = await getQueueResult(batch, ctx);
    return { acked: result.explicitAcks, retried: retry.mock.calls.map((c) => c[0]?.delaySeconds) };
  }

  it("retries a notification that failed with backoff, then gives it up and records why", async () => {
    const operator = await alerts();
    operator.respond(() => new Response("nope", { status: 500 }));
    expect(await deliverOnce(operator.endpoint.id, 1)).toEqual({ retried: [ALERT_RETRY_SECONDS[0]], acked: [] });
    expect(await deliverOnce(operator.endpoint.id, 3)).toEqual({ retried: [ALERT_RETRY_SECONDS[2]], acked: [] });
    expect(await deliverOnce(operator.endpoint.id, ALERT_MAX_ATTEMPTS)).toEqual({ retried: [], acked: ["m1"] });
    expect(operator.got).toHaveLength(3);
    expect(operator.got.every((g) => g.verified)).toBe(true);
    const view = (await api.get(`/v1/alert-endpoints/${operator.endpoint.id}`)).body;
    expect(view).toMatchObject({ last_failure: "HTTP 500", last_success_at: null });
    operator.respond(() => {
      throw new TypeError("connection refused");
    });
    await deliverOnce(operator.endpoint.id, 2);
    expect((await api.get(`/v1/alert-endpoints/${operator.endpoint.id}`)).body.last_failure).toBe("connect");
    // A deleted alert endpoint's notifications are dropped.
    await operator.remove();
    expect(await deliverOnce(operator.endpoint.id, 1)).toEqual({ retried: [], acked: ["m1"] });
  });

  it("from an alert endpoint that hangs slow neither ingest nor delivery", async () => {
    const operator = await alerts();
    let release!: () => void;
    const hanging = new Promise<void>((r) => (release = r));
    let started = 0;
    operator.respond(async () => {
      started++;
      await hanging;
      return new Response("late");
    });
    cleanup.unshift(async () => release());
    const r = await failingEndpoint();
    // A second endpoint of the same customer that answers: it gets every event meanwhile.
    const healthy = await createEndpoint(r.customer.id, { url: `https://hooks.example.com/healthy-${r.customer.id}` });
    const ok = receiver(net, healthy.url, () => healthy.secret);
    await openIssue(r.endpoint.id);
    await eventually(() => started > 0, { message: "the alert endpoint called (and hanging)" });
    for (let i = 0; i < 3; i++) {
      r.api.set(`after-${i}`, "Pending", null, stamp(0));
      const res = await r.send(kcCaseEvent(`after-${i}`, stamp(0), "Pending", null));
      expect(res.status).toBe(200);
    }
    await eventually(() => [0, 1, 2].every((i) => ok.forCase(`after-${i}`).length === 1), { message: "delivered while the alert endpoint hangs" });
    expect(ok.got.every((g) => g.verified)).toBe(true);
    // Still hanging: nothing above waited for it.
    expect((await api.get(`/v1/alert-endpoints/${operator.endpoint.id}`)).body.last_success_at).toBeNull();
    release();
    await eventually(async () => (await api.get(`/v1/alert-endpoints/${operator.endpoint.id}`)).body.last_success_at !== null, {
      message: "the late answer recorded",
    });
    expect(await createDb(env.DB).select().from(issues).where(eq(issues.subjectId, r.endpoint.id))).toHaveLength(1);
  });
});
