import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { api, request } from "../helpers/api";
import { caseStub, storedReceipts } from "../helpers/cases";
import { createCustomer } from "../helpers/factories";
import { indexCount } from "../helpers/index-dbs";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";
import type { SourceRow } from "../../src/db/schema";
import { getConfig } from "../../src/lib/config";
import { ulid } from "../../src/lib/ids";
import { runRetentionAt } from "../../src/services/retention";

const DAY = 86_400_000;

/** A case's rows in D1's events index (the API lists a case's events from its object). */
const indexed = async (sourceId: string, caseId: string) =>
  indexCount("SELECT count(*) AS n FROM events WHERE source_id = ?1 AND case_id = ?2", sourceId, caseId);
const stamp = (minute: number) => new Date(Date.UTC(2024, 4, 25, 19, minute)).toISOString();

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => {
  net.restore();
  vi.restoreAllMocks();
});

describe("bench routes", () => {
  it("count what the relay spends, outside production", async () => {
    await request("POST", "/bench/metrics/reset", { token: null });
    await createCustomer();
    const m = (await api.get("/bench/metrics", null)).body;
    expect(m.workerRequests).toBeGreaterThanOrEqual(2);
    expect(m.d1Queries).toBeGreaterThanOrEqual(1);
    expect(m.d1RowsWritten).toBeGreaterThanOrEqual(2); // customers row + its key-hash index
    expect((await request("POST", "/bench/noop", { token: null, raw: "{}" })).status).toBe(200);
  });

  it("do not exist in production", async () => {
    const prod = new Proxy(env, { get: (t, p) => (p === "ENVIRONMENT" ? "production" : Reflect.get(t, p)) });
    for (const [method, path] of [
      ["POST", "/bench/noop"],
      ["GET", "/bench/metrics"],
      ["POST", "/bench/metrics/reset"],
      ["POST", "/bench/retention"],
    ]) {
      const res = await worker.fetch(new Request(`http://relay.test${path}`, { method }), prod, createExecutionContext());
      expect(res.status, path).toBe(404);
    }
  });
});

describe("retention at a later clock (what an event's deletes cost)", () => {
  it("runs the index's retention for the source's customer and each named case's, counting the rows it writes; numbering is kept", async () => {
    const r = await karmacheckRelay(net);
    for (let i = 1; i <= 3; i++) {
      r.api.set("bt-1", "Pending", `Step ${i}`, stamp(i));
      await r.send(kcCaseEvent("bt-1", stamp(i), "Pending", `Step ${i}`));
      await eventually(() => r.hook.forCase("bt-1").length === i);
    }
    await eventually(async () => (await indexed(r.source.id, "bt-1")) === 3);
    // Another customer's case, as old: its rows are no part of this source's retention. (Both
    // sources use one provider API base, and the first fake registered for it answers.)
    const other = await karmacheckRelay(net);
    r.api.set("bt-other", "Pending", "Step 1", stamp(1));
    await other.send(kcCaseEvent("bt-other", stamp(1), "Pending", "Step 1"));
    await eventually(() => other.hook.forCase("bt-other").length === 1);
    await eventually(async () => (await indexed(other.source.id, "bt-other")) === 1);
    await request("POST", "/bench/metrics/reset", { token: null });
    // Four days on, the bodies go; the receipts and the index's rows stay.
    const body = (at: number) => ({ at, source_id: r.source.id, case_ids: ["bt-1", "bt-never-seen"] });
    const early = await api.post("/bench/retention", body(Date.now() + 4 * DAY));
    expect(early.status, early.text).toBe(200);
    expect(early.body).toMatchObject({ index: { events: 0 }, receipts_deleted: 0 });
    const bodies = await runInDurableObject(caseStub(r.source.id, "bt-1"), (_o, s) => s.storage.sql.exec("SELECT body FROM receipts").toArray());
    expect(bodies).toEqual([{ body: null }, { body: null }, { body: null }]);
    const cleared = (await api.get("/bench/metrics", null)).body;
    expect(cleared.rowsWrittenBy["do: UPDATE receipts"]).toBe(3);
    // A month on, everything past retention goes, in D1 and in the object, which keeps its numbering.
    const late = await api.post("/bench/retention", body(Date.now() + 31 * DAY));
    expect(late.status, late.text).toBe(200);
    expect(late.body).toMatchObject({ index: { events: 3 }, receipts_deleted: 3 });
    expect(await storedReceipts(r.source.id, "bt-1")).toEqual([]);
    const state = await runInDurableObject(caseStub(r.source.id, "bt-1"), (_o, s) => s.storage.sql.exec("SELECT sequence_floor FROM case_state").one());
    expect(state.sequence_floor).toBe(3);
    const m = (await api.get("/bench/metrics", null)).body;
    expect(m.rowsWrittenBy["do: DELETE FROM receipts"]).toBe(3);
    expect(m.rowsWrittenBy["d1: DELETE FROM events"]).toBe(3);
    expect([await indexed(r.source.id, "bt-1"), await indexed(other.source.id, "bt-other")]).toEqual([0, 1]);
    // The object's record of when it last pruned stays at the runtime's clock (its alarm prunes on that).
    const lastPruneAt = await runInDurableObject(caseStub(r.source.id, "bt-1"), (o) => (o as unknown as { lastPruneAt: number }).lastPruneAt);
    expect(lastPruneAt).toBeLessThanOrEqual(Date.now());
    // The case never seen has no object storage: retention created none.
    expect(
      await runInDurableObject(caseStub(r.source.id, "bt-never-seen"), (_o, s) =>
        s.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'receipts'").toArray(),
      ),
    ).toEqual([]);
  });

  it("leaves the D1 index alone when asked to run only the named cases' retention", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("bt-4", "Pending", "Step 1", stamp(1));
    await r.send(kcCaseEvent("bt-4", stamp(1), "Pending", "Step 1"));
    await eventually(() => r.hook.forCase("bt-4").length === 1);
    await eventually(async () => (await indexed(r.source.id, "bt-4")) === 1);
    const res = await api.post("/bench/retention", { at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: ["bt-4"], index: false });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ index: {}, receipts_deleted: 1 });
    expect(await storedReceipts(r.source.id, "bt-4")).toEqual([]);
    expect(await indexed(r.source.id, "bt-4")).toBe(1);
  });

  it("refuses bad input with a clear error and changes nothing, and needs the admin token", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("bt-2", "Pending", "Step 1", stamp(1));
    await r.send(kcCaseEvent("bt-2", stamp(1), "Pending", "Step 1"));
    await eventually(() => r.hook.forCase("bt-2").length === 1);
    for (const bad of [
      { at: Date.now() - DAY, source_id: r.source.id, case_ids: ["bt-2"] },
      { at: Date.now() + 400 * DAY, source_id: r.source.id, case_ids: ["bt-2"] },
      { at: Date.now() + 31 * DAY, source_id: "not-a-source", case_ids: ["bt-2"] },
      { at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: [] },
      { at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: ["bt-2"], extra: true },
      { at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: ["bt-2"], index: "no" },
    ]) {
      const res = await api.post("/bench/retention", bad);
      expect(res.status, res.text).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
    }
    const notJson = await request("POST", "/bench/retention", { raw: "{", headers: { "content-type": "application/json" } });
    expect([notJson.status, notJson.body.error.code]).toEqual([400, "invalid_json"]);
    const unknownSource = await api.post("/bench/retention", { at: Date.now() + 31 * DAY, source_id: `src_${ulid()}`, case_ids: ["bt-2"] });
    expect([unknownSource.status, unknownSource.body.error.code]).toEqual([404, "not_found"]);
    const tooLarge = await request("POST", "/bench/retention", {
      raw: JSON.stringify({ at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: ["x".repeat(2100 * 1024)] }),
      headers: { "content-type": "application/json" },
    });
    expect([tooLarge.status, tooLarge.body.error.code]).toEqual([413, "payload_too_large"]);
    const anonymous = await request("POST", "/bench/retention", {
      token: null,
      body: { at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: ["bt-2"] },
    });
    expect(anonymous.status).toBe(401);
    const customer = await api.post("/bench/retention", { at: Date.now() + 31 * DAY, source_id: r.source.id, case_ids: ["bt-2"] }, r.customer.api_key);
    expect(customer.status).toBe(403);
    expect(await storedReceipts(r.source.id, "bt-2")).toHaveLength(1);
    expect(await indexed(r.source.id, "bt-2")).toBe(1);
  });

  it("is refused by the case object itself in production", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("bt-3", "Pending", "Step 1", stamp(1));
    await r.send(kcCaseEvent("bt-3", stamp(1), "Pending", "Step 1"));
    await eventually(() => r.hook.forCase("bt-3").length === 1);
    const refused = await runInDurableObject(caseStub(r.source.id, "bt-3"), async (instance) => {
      const o = instance as unknown as { config: { environment: string }; retainAt(now: number): Promise<number> };
      o.config = { ...o.config, environment: "production" };
      return o.retainAt(Date.now() + 31 * DAY).then(
        () => "ran",
        (err: Error) => err.message,
      );
    });
    expect(refused).toBe("retainAt runs only outside production");
    // And by the service the route calls.
    const source = { id: r.source.id, customerId: r.customer.id } as SourceRow;
    await expect(runRetentionAt(env, { ...getConfig(env), environment: "production" }, source, Date.now() + 31 * DAY, ["bt-3"])).rejects.toThrow(
      "retention at a later clock runs only outside production",
    );
    expect(await storedReceipts(r.source.id, "bt-3")).toHaveLength(1);
    expect(await indexed(r.source.id, "bt-3")).toBe(1);
  });
});
