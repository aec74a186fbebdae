/**
 * Attempts' answers are written once per run of the sender, not once per attempt: what one event's
 * first attempts to every endpoint cost, and what is stored before each send, whatever the
 * object is stopped in between.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, request } from "../helpers/api";
import { newDelivery } from "../../src/case/decide";
import { CaseStore } from "../../src/case/storage";
import type { Delivery } from "../../src/domain";
import { rewriteDeliveries, runAlarm, storedDeliveries } from "../helpers/cases";
import { createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually, gate } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => {
  net.restore();
  vi.restoreAllMocks();
});

const stamp = (minute: number) => new Date(Date.UTC(2024, 6, 1, 9, minute)).toISOString();

/** The relay of test/helpers/relay.ts with `extra` more endpoints of the same customer, each on its own receiver. */
async function fanOut(extra: number) {
  const r = await karmacheckRelay(net);
  const hooks = [r.hook];
  for (let i = 0; i < extra; i++) {
    const e = await createEndpoint(r.customer.id, { url: `https://hooks-${i}.example.com/${r.customer.id}` });
    hooks.push(receiver(net, e.url, () => e.secret));
  }
  return { ...r, hooks };
}

/** Moves every retrying delivery's next attempt a day out, so only the test decides when it goes. */
function postponeRetries(sourceId: string, caseId: string) {
  const later = new Date(Date.now() + 86_400_000).toISOString();
  return rewriteDeliveries(sourceId, caseId, (d) => (d.status === "retrying" ? { ...d, next_attempt_at: later } : d));
}

const rowsWrittenBy = async (): Promise<Record<string, number>> => (await api.get("/bench/metrics", null)).body.rowsWrittenBy;

describe("attempts' answers", () => {
  it("of one event to three endpoints are one row write, after the decision's own", async () => {
    const r = await fanOut(2);
    r.api.set("an-1", "Pending", null, stamp(0));
    await request("POST", "/bench/metrics/reset", { token: null });
    await r.send(kcCaseEvent("an-1", stamp(0), "Pending", null));
    await eventually(async () => (await storedDeliveries(r.source.id, "an-1")).filter((d) => d.status === "succeeded").length === 3, {
      message: "three deliveries succeeded",
    });
    expect(r.hooks.map((h) => h.got.length)).toEqual([1, 1, 1]);
    const by = await rowsWrittenBy();
    expect(by["do: INSERT INTO receipts"]).toBe(1);
    expect(by["do: UPDATE receipts"]).toBe(1);
    // Every statement the object ran is counted once, reads told apart by their condition.
    const m = (await api.get("/bench/metrics", null)).body as { doStatements: number; statementsBy: Record<string, { runs: number }> };
    const runs = Object.values(m.statementsBy).reduce((sum, v) => sum + v.runs, 0);
    expect(m.doStatements).toBeGreaterThan(0);
    expect(runs).toBe(m.doStatements);
    const reads = Object.keys(m.statementsBy).filter((k) => k.startsWith("do: SELECT") && k.includes(" FROM receipts WHERE "));
    expect(reads.some((k) => k.includes("instr(deliveries"))).toBe(true);
  });

  it("to one endpoint are stored before the next send to it", async () => {
    const r = await karmacheckRelay(net);
    const hold = gate();
    // Both events' first attempts fail; their retries go out from one alarm, in order, and the second hangs.
    r.hook.respond(async (n) => {
      if (n <= 2) return new Response("down", { status: 503 });
      if (n === 4) await hold.opened;
      return new Response("ok");
    });
    r.api.set("an-2", "Pending", null, stamp(0));
    await r.send(kcCaseEvent("an-2", stamp(0), "Pending", null));
    await eventually(async () => (await storedDeliveries(r.source.id, "an-2"))[0]?.status === "retrying", { message: "the first event retrying" });
    await postponeRetries(r.source.id, "an-2");
    r.api.set("an-2", "Pending", "Reviewing Order", stamp(5));
    await r.send(kcCaseEvent("an-2", stamp(5), "Pending", "Reviewing Order"));
    await eventually(async () => (await storedDeliveries(r.source.id, "an-2"))[1]?.status === "retrying", { message: "the second event retrying" });
    await postponeRetries(r.source.id, "an-2");
    const alarm = runAlarm(r.source.id, "an-2", { due: true });
    await eventually(() => r.hook.got.length === 4, { message: "the second event's retry in flight" });
    // The sender's run is not over, yet the first retry's answer is stored: the watermark the second send relies on.
    const during = await storedDeliveries(r.source.id, "an-2");
    expect(during.map((d) => [d.sequence, d.status])).toEqual([
      [1, "succeeded"],
      [2, "retrying"],
    ]);
    hold.open();
    await alarm;
    expect((await storedDeliveries(r.source.id, "an-2")).map((d) => [d.sequence, d.status])).toEqual([
      [1, "succeeded"],
      [2, "succeeded"],
    ]);
    expect(r.hook.got.map((g) => g.body.data.sequence)).toEqual([1, 2, 1, 2]);
  });

  it("not yet stored when the object stops: every endpoint ends with the event stored as delivered, under one webhook-id", async () => {
    const r = await fanOut(2);
    r.api.set("an-3", "Pending", null, stamp(0));
    const hold = gate();
    // The third endpoint hangs: the run is not over when the other two have answered.
    r.hooks[2]!.respond(async (n) => {
      if (n === 1) await hold.opened;
      return new Response("ok");
    });
    await r.send(kcCaseEvent("an-3", stamp(0), "Pending", null));
    await eventually(() => r.hooks.every((h) => h.got.length === 1), { message: "all three attempts made" });
    await abortAllDurableObjects();
    hold.open();
    // The consumer's call failed with the object: the queue brings the receipt back and every open delivery goes again.
    await eventually(async () => (await storedDeliveries(r.source.id, "an-3")).filter((d) => d.status === "succeeded").length === 3, {
      timeout: 30_000,
      message: "three deliveries succeeded",
    });
    for (const h of r.hooks) {
      expect(h.got.length).toBeGreaterThanOrEqual(1);
      expect(new Set(h.got.map((g) => g.id)).size, "one event, one webhook-id").toBe(1);
      expect(h.got.every((g) => g.body.data.sequence === 1)).toBe(true);
    }
  });
  it("acknowledged but not yet stored when the object stops: an older event is superseded, never sent after it", async () => {
    const r = await fanOut(1);
    const [e, f] = r.hooks as [(typeof r.hooks)[0], (typeof r.hooks)[0]];
    const hold = gate();
    // E fails the first event, then takes the second; F takes the first and hangs on the second, so the run is not over.
    e.respond((n) => (n === 1 ? new Response("down", { status: 503 }) : new Response("ok")));
    f.respond(async (n) => {
      if (n === 2) await hold.opened;
      return new Response("ok");
    });
    r.api.set("an-4", "Pending", null, stamp(0));
    await r.send(kcCaseEvent("an-4", stamp(0), "Pending", null));
    await eventually(
      async () =>
        (await storedDeliveries(r.source.id, "an-4"))
          .map((d) => d.status)
          .sort()
          .join() === "retrying,succeeded",
      {
        message: "the first event: E retrying, F done",
      },
    );
    await postponeRetries(r.source.id, "an-4");
    r.api.set("an-4", "Pending", "Reviewing Order", stamp(5));
    await r.send(kcCaseEvent("an-4", stamp(5), "Pending", "Reviewing Order"));
    await eventually(() => e.got.length === 2 && f.got.length === 2, { message: "the second event at E (answered) and F (hanging)" });
    await abortAllDurableObjects();
    hold.open();
    // Whatever comes back (the queue's retry, the alarm), E's first event is never sent after its second.
    await eventually(async () => (await storedDeliveries(r.source.id, "an-4")).filter((d) => d.sequence === 2).every((d) => d.status === "succeeded"), {
      timeout: 25_000,
      message: "the second event delivered to both",
    });
    await runAlarm(r.source.id, "an-4", { due: true });
    const seqs = e.got.map((g) => g.body.data.sequence);
    expect(seqs.slice(0, 2)).toEqual([1, 2]);
    expect(
      seqs.slice(2).every((s) => s === 2),
      `E received ${seqs}`,
    ).toBe(true);
    const older = (await storedDeliveries(r.source.id, "an-4")).find((d) => d.sequence === 1 && d.endpoint_id === r.endpoint.id);
    expect(older?.status).toBe("superseded");
  }, 40_000);
});

describe("the case store's unwritten delivery states, and what it keeps in memory", () => {
  /** A forwarded receipt row with sequence `k` and these deliveries. */
  const forwarded = (store: CaseStore, k: number, deliveries: Delivery[]) =>
    store.insertReceipt({
      id: `rcv_${k}`,
      kind: "webhook",
      dedupeKey: `k${k}`,
      providerEventType: "t",
      subject: "case",
      receivedAt: Date.now(),
      outcome: "forwarded",
      eventId: `evt_${k}`,
      sequence: k,
      deliveries,
    });

  async function withStore<T>(fn: (store: CaseStore, n: number, d: Delivery, storage: DurableObjectStorage) => T): Promise<T> {
    const stub = env.CASES.get(env.CASES.idFromName(`src_unwritten:${crypto.randomUUID()}`));
    return runInDurableObject(stub, (_o, state) => {
      const store = new CaseStore(state.storage);
      store.ensure();
      const d = newDelivery({ id: "ep_a", status: "active", filter: {} } as never, "evt_unwritten", Date.now(), false);
      const n = store.insertReceipt({
        id: "rcv_unwritten",
        kind: "webhook",
        dedupeKey: "k",
        providerEventType: "t",
        subject: "case",
        receivedAt: Date.now(),
        outcome: "forwarded",
        eventId: "evt_unwritten",
        sequence: 1,
        deliveries: [d],
      });
      return fn(store, n, d, state.storage);
    });
  }

  it("are read before they are written, and survive a transaction that rolls back", async () => {
    const out = await withStore((store, n, d, storage) => {
      store.recordDelivery(n, { ...d, status: "succeeded", next_attempt_at: null });
      const read = store.deliveriesTo("ep_a")[0]!.delivery.status;
      const onDisk = () =>
        (JSON.parse(String([...storage.sql.exec("SELECT deliveries FROM receipts WHERE n = ?", n)][0]!.deliveries)) as Delivery[])[0]!.status;
      const beforeWrite = onDisk();
      try {
        store.transaction(() => {
          store.putDelivery(n, { ...d, id: "dlv_other", endpoint_id: "ep_b" });
          throw new Error("rolled back");
        });
      } catch {}
      const afterRollback = store.deliveriesTo("ep_a")[0]!.delivery.status;
      store.writeDeliveries();
      return { read, beforeWrite, afterRollback, written: onDisk(), others: store.deliveriesTo("ep_b").length };
    });
    expect(out).toEqual({ read: "succeeded", beforeWrite: "pending", afterRollback: "succeeded", written: "succeeded", others: 0 });
  });

  it("leave the facts decisions read alone, and the facts follow every write, a rolled-back one too", async () => {
    const out = await withStore((store, n, d) => {
      const first = store.facts().lastSequence;
      store.recordDelivery(n, { ...d, status: "succeeded" });
      const afterAnswer = store.facts().lastSequence;
      const next = { id: "rcv_next", kind: "webhook" as const, dedupeKey: "k2", providerEventType: "t", subject: "case", receivedAt: Date.now() };
      try {
        store.transaction(() => {
          store.insertReceipt({ ...next, outcome: "forwarded", eventId: "evt_next", sequence: 2, status: "completed" });
          // Read inside: what is kept in memory now includes a write about to be rolled back.
          if (store.facts().lastSequence !== 2 || !store.terminal()) throw new Error("the insert not seen inside its transaction");
          throw new Error("rolled back");
        });
      } catch (e) {
        if ((e as Error).message !== "rolled back") throw e;
      }
      const afterRollback = [store.facts().lastSequence, store.terminal()];
      // A pending receipt decided later (a stash, a retry, a replay) is an update of its row.
      const pending = store.insertReceipt({ ...next, outcome: "pending" });
      const beforeDecided = [store.facts().lastSequence, store.terminal()];
      store.updateReceipt(pending, { outcome: "forwarded", eventId: "evt_next", sequence: 2, status: "completed" });
      const afterDecided = [store.facts().lastSequence, store.terminal()];
      const frozen = Object.isFrozen(store.facts()) && Object.isFrozen(store.facts().versions);
      return { first, afterAnswer, afterRollback, beforeDecided, afterDecided, frozen };
    });
    expect(out).toEqual({ first: 1, afterAnswer: 1, afterRollback: [1, false], beforeDecided: [1, false], afterDecided: [2, true], frozen: true });
  });

  it("count in an endpoint's backlog and what it acknowledged, which read no delivery it settled", async () => {
    const out = await withStore((store, n, d) => {
      const event = (k: number, deliveries: Delivery[]) => forwarded(store, k, deliveries);
      const to = (endpoint: string, status: Delivery["status"], extra: Partial<Delivery> = {}) => ({
        ...d,
        id: `dlv_${crypto.randomUUID()}`,
        endpoint_id: endpoint,
        status,
        ...extra,
      });
      // Sequence 1 (the store's row) is pending to ep_a; 2 was acknowledged by ep_a; 3 was perhaps (an interrupted attempt); 4 went to ep_b only.
      event(2, [to("ep_a", "succeeded"), to("ep_b", "pending")]);
      event(3, [to("ep_a", "retrying", { maybe_delivered: true })]);
      const n4 = event(4, [to("ep_b", "pending")]);
      const a = store.backlogOf("ep_a");
      const stored = { unsettled: a.unsettled.map((r) => r.sequence), after: [1, 2, 3].map(a.acknowledgedAfter) };
      // An answer not written yet: ep_b acknowledged 4.
      const pendingB = store.backlogOf("ep_b").unsettled.find((r) => r.n === n4)!;
      store.recordDelivery(n4, { ...pendingB.delivery, status: "succeeded", next_attempt_at: null });
      const b = store.backlogOf("ep_b");
      return {
        stored,
        b: { unsettled: b.unsettled.map((r) => [r.sequence, r.delivery.status]), after: [3, 4].map(b.acknowledgedAfter) },
        none: store.backlogOf("ep_c").acknowledgedAfter(0),
        n,
      };
    });
    expect(out.stored).toEqual({ unsettled: [1, 3], after: [true, true, false] });
    expect(out.b).toEqual({ unsettled: [[2, "pending"]], after: [true, false] });
    expect(out.none).toBe(false);
  });

  it("are found unsettled from the JSON text alone, and an attempt's answer quoting that text changes nothing", async () => {
    const out = await withStore((store, n, d) => {
      // Row n (the store's) is pending to ep_a. Each unsettled state to ep_x, and one in flight.
      const row = (k: number, delivery: Partial<Delivery>) => forwarded(store, k, [{ ...d, id: `dlv_${k}`, endpoint_id: "ep_x", ...delivery }]);
      const unsettled = (["retrying", "held", "failed"] as const).map((status, i) => row(2 + i, { status }));
      const inFlight = row(5, { status: "succeeded", in_flight_since: new Date().toISOString() });
      // Settled for good, with an answer that quotes the very text the query looks for.
      const quoted = '{"status":"pending","in_flight_since":"now","endpoint_id":"ep_a"}';
      const attempt = {
        id: "att_1",
        at: new Date().toISOString(),
        status_code: 200,
        duration_ms: 1,
        response_excerpt: quoted,
        error_kind: null,
        flagged: false,
      };
      row(6, { status: "succeeded", attempts: [attempt] });
      row(7, { status: "superseded", attempts: [attempt] });
      return {
        rows: store.unsettledDeliveries().map((r) => r.n),
        expected: [n, ...unsettled, inFlight],
        toX: store.backlogOf("ep_x").unsettled.map((r) => r.n),
        toA: store.backlogOf("ep_a").unsettled.map((r) => r.n),
      };
    });
    expect(out.rows).toEqual(out.expected);
    expect(out.toX).toEqual(out.expected.slice(1));
    expect(out.toA).toEqual([out.expected[0]]);
  });

  it("of a row that is gone are dropped, and block nothing", async () => {
    const out = await withStore((store, n, d) => {
      store.recordDelivery(9_999, { ...d, status: "succeeded" });
      store.recordDelivery(n, { ...d, status: "succeeded", next_attempt_at: null });
      store.writeDeliveries("ep_a");
      store.writeDeliveries();
      return store.deliveriesTo("ep_a").map((r) => r.delivery.status);
    });
    expect(out).toEqual(["succeeded"]);
  });
});
