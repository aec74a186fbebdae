/**
 * The case object owns its case: its storage is the record, so resets, retention, index failures
 * and other cases' failures change nothing it promised. abortAllDurableObjects() resets every
 * object at once (their storage stays), as an eviction or a deploy would.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CaseObject } from "../../src/index";
import { api } from "../helpers/api";
import { caseStub, runAlarm, storedDeliveries, storedReceipts } from "../helpers/cases";
import { failEventWrites, indexCount } from "../helpers/index-dbs";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually, gate } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => {
  net.restore();
  vi.restoreAllMocks();
});

const DAY = 86_400_000;
const stamp = (minute: number) => new Date(Date.UTC(2024, 4, 25, 19, minute)).toISOString();
const sequencesOf = (got: { body: { data: { case_id: string; sequence: number } } }[], caseId: string) =>
  got.filter((g) => g.body.data.case_id === caseId).map((g) => g.body.data.sequence);

describe("a case object reset at any step", () => {
  it("mid-refetch, while a second batch of the same case waits: no sequence reused, nothing lost", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("rs-1", "Pending", "Waiting for Authorization", stamp(0));
    const release = r.api.hang("rs-1");
    const first = await r.send(kcCaseEvent("rs-1", stamp(0), "Pending", "Waiting for Authorization"));
    await eventually(() => r.api.stats.fetches.includes("rs-1"), { message: "the refetch under way" });
    // The provider moves on and sends again: this batch waits behind the first, in the object.
    r.api.set("rs-1", "Pending", "Authorization in Progress", stamp(5));
    const second = await r.send(kcCaseEvent("rs-1", stamp(5), "Pending", "Authorization in Progress"));
    await abortAllDurableObjects();
    release();
    // The queue brings both back; the provider's state is now the second one.
    await eventually(async () => (await storedReceipts(r.source.id, "rs-1")).filter((x) => x.outcome !== "pending").length === 2, {
      timeout: 30_000,
      message: "both receipts decided",
    });
    const receipts = await storedReceipts(r.source.id, "rs-1");
    expect(receipts.map((x) => x.id).sort()).toEqual([first.body.id, second.body.id].sort());
    const sequences = receipts.filter((x) => x.sequence !== null).map((x) => x.sequence);
    expect(new Set(sequences).size).toBe(sequences.length);
    await eventually(() => r.hook.forCase("rs-1").length >= sequences.length, { message: "every event delivered" });
    expect(sequencesOf(r.hook.got, "rs-1")).toEqual([...sequencesOf(r.hook.got, "rs-1")].sort((a, b) => a - b));
    expect(r.hook.forCase("rs-1").at(-1)!.body.data.state).toMatchObject({ secondaryStatus: "Authorization in Progress" });
  });

  it("after storing an event, before sending it: the event is sent once the queue brings the receipt back, under its number", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("rs-2", "Pending", null, stamp(0));
    const hold = gate();
    r.hook.respond(async () => {
      await hold.opened;
      return new Response("ok");
    });
    await r.send(kcCaseEvent("rs-2", stamp(0), "Pending", null));
    await eventually(() => r.hook.got.length === 1, { message: "first attempt in flight" });
    await abortAllDurableObjects();
    hold.open();
    // The consumer's call failed, so the message comes back; the object answers from storage and resends.
    await eventually(() => r.hook.got.length === 2, { timeout: 30_000, message: "the event sent again" });
    expect(r.hook.got.map((g) => [g.id, g.body.data.sequence])).toEqual([
      [r.hook.got[0]!.id, 1],
      [r.hook.got[0]!.id, 1],
    ]);
    const [d] = await storedDeliveries(r.source.id, "rs-2");
    expect(d).toMatchObject({ status: "succeeded" });
    // The next event is 2: the reset reused nothing.
    r.api.set("rs-2", "Complete", null, stamp(9));
    await r.send(kcCaseEvent("rs-2", stamp(9), "Complete", null));
    await eventually(() => r.hook.got.length === 3);
    expect(r.hook.got[2]!.body.data.sequence).toBe(2);
  });

  it("during an attempt that a retry of an older event waits behind: the older one is superseded, never sent after it", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("rs-3", "Pending", null, stamp(0));
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("rs-3", stamp(0), "Pending", null));
    await eventually(async () => (await storedDeliveries(r.source.id, "rs-3"))[0]?.status === "retrying", { message: "event 1 retrying" });
    // Event 2's first attempt reaches the endpoint, which acknowledges it, but the object is reset before it hears so.
    const hold = gate();
    r.hook.respond(async (_n, got) => {
      if (got.body.data.sequence === 2) await hold.opened;
      return new Response("ok");
    });
    r.api.set("rs-3", "Complete", null, stamp(9));
    await r.send(kcCaseEvent("rs-3", stamp(9), "Complete", null));
    await eventually(() => sequencesOf(r.hook.got, "rs-3").includes(2), { message: "event 2 at the endpoint" });
    const marked = await storedDeliveries(r.source.id, "rs-3");
    expect(marked.find((d) => d.sequence === 2)!.in_flight_since).not.toBeNull();
    await abortAllDurableObjects();
    hold.open();
    // Both due now: the reset object must not send 1 after the 2 the endpoint may have acknowledged.
    await runAlarm(r.source.id, "rs-3", { due: true });
    await runAlarm(r.source.id, "rs-3", { due: true });
    const seen = sequencesOf(r.hook.got, "rs-3");
    expect(seen.slice(seen.indexOf(2))).not.toContain(1);
    const after = await storedDeliveries(r.source.id, "rs-3");
    expect(after.find((d) => d.sequence === 1)!.status).toBe("superseded");
    const two = after.find((d) => d.sequence === 2)!;
    expect(two.maybe_delivered).toBe(true);
    expect(two.attempts[0]!.error_kind).toBe("interrupted");
    expect(two.status).toBe("succeeded");
  });
});

describe("numbering", () => {
  it("never restarts, however much retention deletes of a quiet case", async () => {
    const r = await karmacheckRelay(net);
    for (let i = 1; i <= 3; i++) {
      r.api.set("rt-1", i === 3 ? "Complete" : "Pending", i === 1 ? "Waiting for Authorization" : null, stamp(i));
      await r.send(kcCaseEvent("rt-1", stamp(i), i === 3 ? "Complete" : "Pending", i === 1 ? "Waiting for Authorization" : null));
      await eventually(() => r.hook.forCase("rt-1").length === i);
    }
    // Forty days pass.
    await runInDurableObject(caseStub(r.source.id, "rt-1"), (_o, state) => {
      state.storage.sql.exec("UPDATE receipts SET received_at = received_at - ?", 40 * DAY);
    });
    await runAlarm(r.source.id, "rt-1");
    expect(await storedReceipts(r.source.id, "rt-1")).toEqual([]);
    const kept = await runInDurableObject(caseStub(r.source.id, "rt-1"), (_o, state) => state.storage.sql.exec("SELECT * FROM case_state").toArray());
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ sequence_floor: 3, terminal_floor: 1 });
    // The last event forwarded, as unchanged-detection needed it, its check included (from its envelope).
    const third = r.hook.forCase("rt-1")[2]!.body;
    expect(JSON.parse(String(kept[0]!.last_forwarded))).toEqual({
      sequence: 3,
      fingerprint: expect.any(String),
      type: third.type,
      status: third.data.status,
      check: third.data.check,
    });
    // The case comes back to life: it is numbered after everything it ever sent, and an old version is still stale.
    r.api.set("rt-1", "Pending", "Reviewing Order", stamp(30));
    await r.send(kcCaseEvent("rt-1", stamp(30), "Pending", "Reviewing Order"));
    await eventually(() => r.hook.forCase("rt-1").length === 4);
    expect(r.hook.forCase("rt-1")[3]!.body.data.sequence).toBe(4);
    const old = await r.send(kcCaseEvent("rt-1", stamp(2), "Pending", "Authorization in Progress"));
    await eventually(async () => (await storedReceipts(r.source.id, "rt-1")).find((x) => x.id === old.body.id)?.outcome === "stale");
  });

  it("keeps counting across resets between every event", async () => {
    const r = await karmacheckRelay(net);
    for (let i = 1; i <= 4; i++) {
      r.api.set("rn-1", "Pending", `Step ${i}`, stamp(i));
      await r.send(kcCaseEvent("rn-1", stamp(i), "Pending", `Step ${i}`));
      await eventually(() => r.hook.forCase("rn-1").length === i);
      await abortAllDurableObjects();
    }
    expect(sequencesOf(r.hook.got, "rn-1")).toEqual([1, 2, 3, 4]);
  });
});

describe("the index", () => {
  it("a failed index batch, retried, writes no row twice and loses none", async () => {
    const r = await karmacheckRelay(net);
    // The consumer's writes, the first two times (the whole batch, then case by case).
    const writes = failEventWrites((n) => n <= 2);
    r.api.set("ix-1", "Pending", null, stamp(0));
    await r.send(kcCaseEvent("ix-1", stamp(0), "Pending", null));
    await eventually(async () => (await indexCount("SELECT COUNT(*) AS n FROM events WHERE source_id = ?", r.source.id)) === 1, {
      timeout: 30_000,
      message: "the event indexed after the retry",
    });
    expect(writes.failed).toBe(2);
    // Delivered once: the retried message was answered from the case's storage.
    expect(r.hook.got).toHaveLength(1);
    const cases = await env.DB.prepare("SELECT COUNT(*) AS n FROM cases WHERE source_id = ?").bind(r.source.id).first<{ n: number }>();
    expect(cases!.n).toBe(1);
  });

  it("one case that fails every time holds back only its own messages", async () => {
    const r = await karmacheckRelay(net);
    const real = CaseObject.prototype.process;
    vi.spyOn(CaseObject.prototype, "process").mockImplementation(async function (this: InstanceType<typeof CaseObject>, input) {
      if ((this as unknown as { ctx: DurableObjectState }).ctx.id.name?.endsWith(":bad-case")) throw new Error("deterministic failure");
      return real.call(this, input);
    });
    r.api.set("good-case", "Pending", null, stamp(0));
    r.api.set("bad-case", "Pending", null, stamp(0));
    await Promise.all([r.send(kcCaseEvent("bad-case", stamp(0), "Pending", null)), r.send(kcCaseEvent("good-case", stamp(0), "Pending", null))]);
    await eventually(() => r.hook.forCase("good-case").length === 1, { message: "the good case delivered" });
    expect(r.hook.forCase("bad-case")).toHaveLength(0);
    expect((await api.get(`/v1/events?source_id=${r.source.id}`)).body.data.map((e: { case_id: string }) => e.case_id)).toEqual(["good-case"]);
  });
});
