/**
 * Attempts' answers are written once per run of the sender, not once per attempt: what one event's
 * first attempts to every endpoint cost, and what is stored before each send, whatever the
 * object is stopped in between.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, request } from "../helpers/api";
import { runAlarm, storedDeliveries } from "../helpers/cases";
import { createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => {
  net.restore();
  vi.restoreAllMocks();
});

const stamp = (minute: number) => new Date(Date.UTC(2024, 6, 1, 9, minute)).toISOString();

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

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
    r.api.set("an-2", "Pending", "Reviewing Order", stamp(5));
    await r.send(kcCaseEvent("an-2", stamp(5), "Pending", "Reviewing Order"));
    await eventually(async () => (await storedDeliveries(r.source.id, "an-2"))[1]?.status === "retrying", { message: "the second event retrying" });
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

  it("not yet stored when the object stops are sent again, under the same webhook-id, and nothing else changes", async () => {
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
});
