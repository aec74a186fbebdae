/** Cron Triggers: reconcile quiet open cases, flag silent sources (time moved forward). */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCron } from "../../src/cron";
import { MAX_RECONCILE_FAILURES } from "../../src/cron/reconcile";
import { api } from "../helpers/api";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

/** A cron run at exactly `at`, without the hourly retention (test/cron/dispatch.test.ts covers the dispatch). */
async function cronAt(at: number) {
  await runCron(env, at, { retention: false });
  return at;
}

async function relay(reconcileAfter = 600) {
  const r = await karmacheckRelay(net);
  await api.patch(`/v1/sources/${r.source.id}`, { reconcile_after_seconds: reconcileAfter });
  return r;
}

async function deliveredOnce(r: Awaited<ReturnType<typeof relay>>, caseId: string, primary: string, stamp: string) {
  r.api.set(caseId, primary, null, stamp);
  await r.send(kcCaseEvent(caseId, stamp, primary, null));
  await eventually(() => r.hook.forCase(caseId).length === 1, { message: `first delivery of ${caseId}` });
  await eventually(async () => (await env.DB.prepare("SELECT 1 FROM cases WHERE source_id = ? AND case_id = ?").bind(r.source.id, caseId).first()) !== null);
}

describe("reconcile", () => {
  it("refetches a case quiet past reconcile_after_seconds and forwards the change as a reconcile event", async () => {
    const r = await relay();
    await deliveredOnce(r, "rc-1", "Pending", "2024-05-25T19:00:00.000Z");
    // The provider's Complete webhook never arrives.
    r.api.set("rc-1", "Complete", null, "2024-05-25T20:00:00.000Z");
    await cronAt(Date.now() + 300_000);
    expect(r.hook.forCase("rc-1")).toHaveLength(1);
    await cronAt(Date.now() + 601_000);
    const got = await eventually(() => r.hook.forCase("rc-1").length === 2 && r.hook.forCase("rc-1")[1]);
    expect(got.verified).toBe(true);
    expect(got.body).toMatchObject({
      type: "case.completed",
      data: { sequence: 2, status: "completed", trigger: { kind: "reconcile", provider_event_type: null } },
    });
    const view = await eventually(async () => {
      const v = (await api.get(`/v1/cases/${r.source.id}/rc-1`)).body;
      return v.events?.length === 2 && v;
    });
    expect(view.receipts.find((x: { kind: string }) => x.kind === "reconcile")).toMatchObject({ outcome: "forwarded", event_id: got.id });
    expect(view.terminal).toBe(true);
  });

  it("forwards nothing for a case whose state did not change, and checks it again later", async () => {
    const r = await relay();
    await deliveredOnce(r, "rc-2", "Pending", "2024-05-25T19:00:00.000Z");
    const before = r.api.stats.fetches.length;
    const at = await cronAt(Date.now() + 601_000);
    expect(r.api.stats.fetches.length).toBe(before + 1);
    expect(r.hook.forCase("rc-2")).toHaveLength(1);
    const row = await env.DB.prepare("SELECT check_after FROM cases WHERE source_id = ? AND case_id = ?")
      .bind(r.source.id, "rc-2")
      .first<{ check_after: number }>();
    expect(row!.check_after).toBe(at + 600_000);
    const view = (await api.get(`/v1/cases/${r.source.id}/rc-2`)).body;
    expect(view.receipts.filter((x: { kind: string }) => x.kind === "reconcile")).toHaveLength(0);
  });

  it("never reconciles a terminal case", async () => {
    const r = await relay();
    await deliveredOnce(r, "rc-3", "Complete", "2024-05-25T19:00:00.000Z");
    const before = r.api.stats.fetches.filter((id) => id === "rc-3").length;
    await cronAt(Date.now() + 10 * 86400_000 + 1000);
    expect(r.api.stats.fetches.filter((id) => id === "rc-3").length).toBe(before);
  });

  it("waits for reconcile_after_seconds counted from the case's last webhook, not its first", async () => {
    const r = await relay(3600);
    await deliveredOnce(r, "rc-4", "Pending", "2024-05-25T19:00:00.000Z");
    const before = r.api.stats.fetches.filter((id) => id === "rc-4").length;
    // The row says due (check_after passed) but the object knows of recent activity: no refetch, rescheduled.
    await env.DB.prepare("UPDATE cases SET check_after = 0 WHERE source_id = ? AND case_id = ?").bind(r.source.id, "rc-4").run();
    await cronAt(Date.now() + 60_000);
    expect(r.api.stats.fetches.filter((id) => id === "rc-4").length).toBe(before);
    const row = await env.DB.prepare("SELECT check_after FROM cases WHERE source_id = ? AND case_id = ?")
      .bind(r.source.id, "rc-4")
      .first<{ check_after: number }>();
    expect(row!.check_after).toBeGreaterThan(Date.now() + 3500_000);
  });

  it("closes a case the provider reports gone instead of retrying it forever", async () => {
    const r = await relay();
    await deliveredOnce(r, "rc-5", "Pending", "2024-05-25T19:00:00.000Z");
    r.api.cases.delete("rc-5"); // the fake answers 403
    await cronAt(Date.now() + 601_000);
    const row = await env.DB.prepare("SELECT terminal FROM cases WHERE source_id = ? AND case_id = ?").bind(r.source.id, "rc-5").first<{ terminal: number }>();
    expect(row!.terminal).toBe(1);
    const fetches = r.api.stats.fetches.filter((id) => id === "rc-5").length;
    await cronAt(Date.now() + 2 * 601_000);
    expect(r.api.stats.fetches.filter((id) => id === "rc-5").length).toBe(fetches);
  });
});

describe("reconcile when the provider is down", () => {
  it("keeps the case and tries again later instead of losing it", async () => {
    const r = await relay();
    await deliveredOnce(r, "rc-6", "Pending", "2024-05-25T19:00:00.000Z");
    r.api.set("rc-6", "Complete", null, "2024-05-25T20:00:00.000Z");
    r.api.failNext("rc-6", 1);
    const at = await cronAt(Date.now() + 601_000);
    const row = await env.DB.prepare("SELECT terminal, check_after FROM cases WHERE source_id = ? AND case_id = ?")
      .bind(r.source.id, "rc-6")
      .first<{ terminal: number; check_after: number }>();
    expect(row).toEqual({ terminal: 0, check_after: at + 15 * 60_000 });
    expect(r.hook.forCase("rc-6")).toHaveLength(1);
    await cronAt(at + 16 * 60_000);
    await eventually(() => r.hook.forCase("rc-6").length === 2);
    expect(r.hook.forCase("rc-6")[1]!.body.data.status).toBe("completed");
  });
});

describe("reconcile when the provider keeps failing", () => {
  it("backs off exponentially, flags the case after the bound and leaves it alone until a webhook gets through", async () => {
    const r = await relay();
    await deliveredOnce(r, "rc-7", "Pending", "2024-05-25T19:00:00.000Z");
    r.api.failNext("rc-7", 1_000);
    const row = () =>
      env.DB.prepare("SELECT check_after, reconcile_failures, reconcile_error FROM cases WHERE source_id = ? AND case_id = ?")
        .bind(r.source.id, "rc-7")
        .first<{ check_after: number; reconcile_failures: number; reconcile_error: string | null }>();
    let at = Date.now() + 601_000;
    let lastRun = at;
    const waits: number[] = [];
    for (let failures = 1; failures <= MAX_RECONCILE_FAILURES; failures++) {
      lastRun = await cronAt(at);
      const after = (await row())!;
      expect(after.reconcile_failures).toBe(failures);
      expect(after.reconcile_error).toMatch(/^refetch_failed: the provider API failed: provider API answered 503/);
      waits.push(after.check_after - at);
      at = after.check_after;
    }
    // 15 min, 30 min, 1 h, ... at most a day; the eighth failure parks the case for a year.
    expect(waits.slice(0, 4)).toEqual([15, 30, 60, 120].map((m) => m * 60_000));
    expect(waits.slice(0, -1).every((w) => w <= 86_400_000)).toBe(true);
    expect(waits.at(-1)).toBeGreaterThan(300 * 86_400_000);
    const fetches = r.api.stats.fetches.filter((id) => id === "rc-7").length;
    await cronAt(lastRun + 86_400_000);
    expect(r.api.stats.fetches.filter((id) => id === "rc-7").length).toBe(fetches);
    // One try per run: the cron's backoff is the only one.
    expect(fetches).toBe(1 + MAX_RECONCILE_FAILURES);
    // The provider is back and a webhook gets through: the flag goes, and the case is reconciled again.
    r.api.failNext("rc-7", 0);
    r.api.set("rc-7", "Pending", "Reviewing Order", "2024-05-25T21:00:00.000Z");
    await r.send(kcCaseEvent("rc-7", "2024-05-25T21:00:00.000Z", "Pending", "Reviewing Order"));
    await eventually(async () => (await row())!.reconcile_failures === 0, { message: "flag cleared" });
    expect((await row())!.check_after).toBeLessThan(Date.now() + 601_000 + 60_000);
  });
});

describe("silence", () => {
  it("flags a source with no webhook for silence_after_seconds and reconciles its open cases", async () => {
    const r = await relay(21600);
    await api.patch(`/v1/sources/${r.source.id}`, { silence_after_seconds: 300 });
    await deliveredOnce(r, "sl-1", "Pending", "2024-05-25T19:00:00.000Z");
    const lastReceipt = (await api.get(`/v1/sources/${r.source.id}`)).body.last_receipt_at;
    expect(lastReceipt).not.toBeNull();
    r.api.set("sl-1", "Pending", "Reviewing Order", "2024-05-25T19:30:00.000Z");
    // Long past the silence window, but well inside reconcile_after_seconds (6 h).
    const at = await cronAt(Date.now() + 400_000);
    const source = (await api.get(`/v1/sources/${r.source.id}`)).body;
    expect(source.silent_since).toBe(new Date(at).toISOString());
    // Its open case was made due: reconciled in the same run once it was quiet long enough...
    expect(r.api.stats.fetches.filter((id) => id === "sl-1")).toHaveLength(1);
    // ...which it is not yet (the object counts from the last webhook): due again when it is.
    await cronAt(Date.now() + 21_700_000);
    await eventually(() => r.hook.forCase("sl-1").length === 2);
    expect(r.hook.forCase("sl-1")[1]!.body.data.trigger.kind).toBe("reconcile");
    // A new webhook clears the flag.
    await r.send(kcCaseEvent("sl-1", "2024-05-25T19:40:00.000Z", "Pending", "Reviewing Order"));
    await eventually(async () => (await api.get(`/v1/sources/${r.source.id}`)).body.silent_since === null, { message: "silence cleared" });
  });
});
