/**
 * The events index spread over D1 databases (INDEX_DATABASES; this project has INDEX_1 and
 * INDEX_2, the deployed project DB alone): where a row goes, that lists and lookups merge every
 * database, that retention empties each, and that a setting that names no D1 binding fails closed.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { indexBatches, runIndexBatches, type IndexWrite } from "../../src/db/index-writes";
import { indexDatabases, indexShardOf, namedIndexDatabases } from "../../src/db/index-shards";
import { ConfigError, getConfig } from "../../src/lib/config";
import { idFloor, ulid } from "../../src/lib/ids";
import type { ReceiptMessage } from "../../src/pipeline/messages";
import { findEventRow, listEvents } from "../../src/services/events";
import { enforceRetention } from "../../src/services/retention";
import worker from "../../src/index";
import { ADMIN_TOKEN, api } from "../helpers/api";
import { createCustomer } from "../helpers/factories";
import { failEventWrites, indexBindingOf, indexBindings, indexRows } from "../helpers/index-dbs";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";

const DAY = 86_400_000;

/** The env with other settings, as a Worker configured so would see it. */
const envWith = (vars: Record<string, string>) => ({ ...env, ...vars }) as Env;

/** An event's index write, created at `ms`. */
const eventAt = (customerId: string, ms: number, n: number): Extract<IndexWrite, { kind: "event" }> => ({
  kind: "event",
  customerId,
  id: `evt_${ulid(ms)}`,
  sourceId: "src_shards",
  caseId: `case-${n}`,
  sequence: 1,
  type: "case.updated",
  status: "pending",
});

/** What each of the index's databases holds of the customer's events. */
const heldBy = async (customerId: string) =>
  Promise.all(
    indexBindings().map(async (db) =>
      (await db.prepare("SELECT id FROM events WHERE customer_id = ?1 ORDER BY id").bind(customerId).all<{ id: string }>()).results.map((r) => r.id),
    ),
  );

describe("where an event's row goes", () => {
  it("by its UTC day: consecutive days alternate over two databases, every day to the one database there is", () => {
    const midnight = Date.UTC(2026, 11, 4);
    const d = Math.floor(midnight / DAY) % 2;
    expect([indexShardOf(midnight - 1, 2), indexShardOf(midnight, 2), indexShardOf(midnight + DAY - 1, 2), indexShardOf(midnight + DAY, 2)]).toEqual([
      1 - d,
      d,
      d,
      1 - d,
    ]);
    expect([0, 1, 2, 3].map((d) => indexShardOf(midnight + d * DAY, 3))).toEqual([0, 1, 2, 0].map((i) => (i + Math.floor(midnight / DAY)) % 3));
    expect([0, 1, 2].map((d) => indexShardOf(midnight + d * DAY, 1))).toEqual([0, 0, 0]);
    // Before the epoch (an id with letters outside the alphabet reads so) and nonsense stay in range.
    for (const ms of [-1, -DAY, -3 * DAY - 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      for (const n of [1, 2, 3]) expect(indexShardOf(ms, n), `${ms} of ${n}`).toBeGreaterThanOrEqual(0);
      expect(indexShardOf(ms, 3)).toBeLessThan(3);
    }
  });

  it("writes a batch's events to their days' databases and nothing of them to the control plane's; written again, nothing twice", async () => {
    const customer = await createCustomer();
    const today = Date.now();
    const writes = [eventAt(customer.id, today, 1), eventAt(customer.id, today - DAY, 2), eventAt(customer.id, today - 2 * DAY, 3)];
    const batches = indexBatches(env, writes);
    // The control plane has nothing to write here; two databases take the three rows.
    expect(batches.map((b) => namedIn(env, b.db))).toEqual(expect.arrayContaining(["INDEX_1", "INDEX_2"]));
    expect(batches).toHaveLength(2);
    await runIndexBatches(env, batches);
    await runIndexBatches(env, indexBatches(env, writes));
    const held = await heldBy(customer.id);
    const expected = indexBindings().map((db) =>
      writes
        .filter((w) => indexBindingOf(w.id) === db)
        .map((w) => w.id)
        .sort(),
    );
    expect(held).toEqual(expected);
    expect(held.every((ids) => ids.length > 0)).toBe(true);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE customer_id = ?1").bind(customer.id).first("n")).toBe(0);
  });

  it("puts the control plane's writes and an event of the control plane's own database in one batch", async () => {
    const withDb = envWith({ INDEX_DATABASES: "DB" });
    const customer = await createCustomer();
    const control: IndexWrite = { kind: "source_receipts", sourceId: "src_shards", at: Date.now(), receipts: 1, duplicates: 0 };
    const batches = indexBatches(withDb, [eventAt(customer.id, Date.now(), 1), control]);
    expect(batches.map((b) => namedIn(withDb, b.db))).toEqual(["DB"]);
    expect(batches[0]!.stmts).toHaveLength(indexBatches(withDb, [control])[0]!.stmts.length + 1);
  });
});

describe("reading the index", () => {
  let customer: { id: string; api_key: string };
  let ids: string[];
  beforeEach(async () => {
    customer = await createCustomer();
    // Two events a day for four days: in both databases.
    const now = Date.now();
    const writes = [0, 1, 2, 3].flatMap((d) => [eventAt(customer.id, now - d * DAY, 2 * d), eventAt(customer.id, now - d * DAY - 60_000, 2 * d + 1)]);
    await runIndexBatches(env, indexBatches(env, writes));
    ids = writes.map((w) => w.id).sort((a, b) => (a < b ? 1 : -1));
    expect((await heldBy(customer.id)).map((held) => held.length)).toEqual([4, 4]);
  });

  it("lists one customer's events newest first over every database, page by page", async () => {
    const seen: string[] = [];
    let cursor = "";
    for (let page = 0; page < 5; page++) {
      const res = await api.get(`/v1/events?customer_id=${customer.id}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      if (!res.body.next_cursor) break;
      cursor = res.body.next_cursor;
    }
    expect(seen).toEqual(ids);
    // The customer's own key sees the same.
    const own = await api.get("/v1/events?limit=100", customer.api_key);
    expect(own.body.data.map((e: { id: string }) => e.id)).toEqual(ids);
  });

  it("lists an event once that two databases hold (the list changed between a write and its retry)", async () => {
    const twice = eventAt(customer.id, Date.now() - 10 * DAY, 99);
    // As the statement indexBatches builds for each database, were each the day's.
    for (const db of indexBindings()) await runIndexBatches(env, [{ db, stmts: indexBatches(envWith({ INDEX_DATABASES: nameOf(db) }), [twice])[0]!.stmts }]);
    const page = await listEvents(env, { customerId: customer.id, limit: 100 });
    expect("rows" in page && page.rows.map((r) => r.id)).toEqual([...ids, twice.id]);
  });

  it("finds an event in whichever database holds it, for its customer and for the operator, never for another customer", async () => {
    const other = await createCustomer();
    // One event of each database.
    const oneEach = indexBindings().map((db) => ids.find((id) => indexBindingOf(id) === db)!);
    expect(new Set(oneEach).size).toBe(2);
    for (const id of oneEach) {
      expect((await findEventRow(env, id, customer.id))?.id).toBe(id);
      expect((await findEventRow(env, id))?.id).toBe(id);
      expect(await findEventRow(env, id, other.id)).toBeNull();
    }
    expect(await findEventRow(env, `evt_${ulid()}`)).toBeNull();
    // Ids the API's patterns let through but the relay never makes: not found, over every route.
    for (const id of ["evt_IIIIIIIIIIIIIIIIIIIIIIIIII", "evt_UUUUUUUUUUUUUUUUUUUUUUUUUU"]) {
      expect(await findEventRow(env, id)).toBeNull();
      for (const path of [`/v1/events/${id}`, `/v1/events/${id}/deliveries`]) expect((await api.get(path)).status, path).toBe(404);
    }
    expect((await api.get("/v1/deliveries/dlv_IIIIIIIIIIIIIIIIIIIIIIIIIIAAAAAA/attempts")).status).toBe(404);
  });

  it("retention deletes what is past its window in each database", async () => {
    // Retention at a clock where the two older days (one in each database) are past 30 days.
    const now = Date.now() + 28 * DAY + DAY / 2;
    await enforceRetention(env, now, getConfig(env), { customerId: customer.id });
    const left = (await heldBy(customer.id)).flat().sort((a, b) => (a < b ? 1 : -1));
    expect(left).toEqual(ids.filter((id) => id >= idFloor("evt", now - 30 * DAY)));
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(ids.length);
  });
});

/** The INDEX_DATABASES name of a database the relay uses in `e` ("DB" for the control plane's). */
const namedIn = (e: Env, db: D1Database) => (db === e.DB ? "DB" : namedIndexDatabases(e).find((d) => d.db === db)?.name);

/** The binding name of one of the index's databases. */
const nameOf = (db: D1Database) => getConfig(env).indexDatabases[indexBindings().indexOf(db)]!;

describe("through the pipeline", () => {
  let net: Network;
  beforeEach(() => {
    net = stubNetwork();
  });
  afterEach(() => {
    net.restore();
    vi.restoreAllMocks();
  });

  it("a relayed event's row is in today's database only, and the API finds it there", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("shard-1", "Pending", null, "2024-05-25T19:00:00Z");
    expect((await r.send(kcCaseEvent("shard-1", "2024-05-25T19:00:00Z", "Pending", null))).status).toBe(200);
    await eventually(() => r.hook.forCase("shard-1").length === 1, { message: "the event delivered" });
    const eventId = r.hook.forCase("shard-1")[0]!.id;
    await eventually(async () => (await indexRows("SELECT id FROM events WHERE id = ?1", eventId)).length === 1, { message: "the event indexed" });
    const held = await Promise.all(indexBindings().map((db) => db.prepare("SELECT count(*) AS n FROM events WHERE id = ?1").bind(eventId).first("n")));
    expect(held).toEqual(indexBindings().map((db) => (db === indexBindingOf(eventId) ? 1 : 0)));
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE id = ?1").bind(eventId).first("n")).toBe(0);
    expect((await api.get(`/v1/events/${eventId}`)).status).toBe(200);
    expect((await api.get(`/v1/events?customer_id=${r.customer.id}`)).body.data.map((e: { id: string }) => e.id)).toEqual([eventId]);
  });

  it("a failed write to the index's database leaves the control plane's writes of the batch to run once: an issue's count and the activity counters are not added twice", async () => {
    const r = await karmacheckRelay(net);
    // Every attempt fails: each one is an occurrence of endpoint.failing, counted.
    r.hook.respond(() => new Response("busy", { status: 503 }));
    // The consumer's whole batch, once; case by case, it goes through.
    const writes = failEventWrites((n) => n === 1);
    r.api.set("fw-1", "Pending", null, "2024-05-25T19:00:00Z");
    await r.send(kcCaseEvent("fw-1", "2024-05-25T19:00:00Z", "Pending", null));
    await eventually(async () => (await indexRows("SELECT id FROM events WHERE source_id = ?1", r.source.id)).length === 1, {
      message: "the event indexed, case by case",
    });
    expect(writes.failed).toBe(1);
    // Attempts so far, read around the figures: a retry (5 s later) may land in between.
    const attemptsBefore = r.hook.got.length;
    const issue = await env.DB.prepare("SELECT count FROM issues WHERE kind = 'endpoint.failing' AND subject_id = ?1")
      .bind(r.endpoint.id)
      .first<{ count: number }>();
    const hours = await env.DB.prepare("SELECT sum(attempts) AS attempts FROM endpoint_hours WHERE endpoint_id = ?1")
      .bind(r.endpoint.id)
      .first<{ attempts: number }>();
    const attemptsAfter = r.hook.got.length;
    expect(attemptsBefore).toBeGreaterThanOrEqual(1);
    for (const n of [issue?.count, hours?.attempts]) {
      expect(n).toBeGreaterThanOrEqual(attemptsBefore);
      expect(n).toBeLessThanOrEqual(attemptsAfter);
    }
    const receipts = await env.DB.prepare("SELECT sum(receipts) AS n FROM source_days WHERE source_id = ?1").bind(r.source.id).first("n");
    expect(receipts).toBe(1);
  });
});

describe("a retired database (INDEX_RETIRED_DATABASES)", () => {
  const retiring = envWith({ INDEX_DATABASES: "INDEX_1", INDEX_RETIRED_DATABASES: "INDEX_2" });

  it("takes no new rows, and its rows are still listed, found and pruned", async () => {
    const customer = await createCustomer();
    const now = Date.now();
    // Written while INDEX_2 still took rows: two days, one in each database.
    const before = [
      eventAt(customer.id, now - 40 * DAY, 1),
      eventAt(customer.id, now - 41 * DAY, 2),
      eventAt(customer.id, now - DAY, 3),
      eventAt(customer.id, now - 2 * DAY, 4),
    ];
    await runIndexBatches(env, indexBatches(env, before));
    const after = [eventAt(customer.id, now, 5), eventAt(customer.id, now - 3 * DAY, 6)];
    const batches = indexBatches(retiring, after);
    expect(batches.map((b) => namedIn(retiring, b.db))).toEqual(["INDEX_1"]);
    await runIndexBatches(retiring, batches);
    const newestFirst = [...before, ...after].map((w) => w.id).sort((a, b) => (a < b ? 1 : -1));
    const page = await listEvents(retiring, { customerId: customer.id, limit: 100 });
    expect("rows" in page && page.rows.map((r) => r.id)).toEqual(newestFirst);
    for (const w of before) expect((await findEventRow(retiring, w.id))?.id).toBe(w.id);
    await enforceRetention(retiring, now, getConfig(retiring), { customerId: customer.id });
    const left = (await heldBy(customer.id)).flat().sort((a, b) => (a < b ? 1 : -1));
    expect(left).toEqual(newestFirst.filter((id) => id >= idFloor("evt", now - 30 * DAY)));
    expect(left).toHaveLength(4);
  });
});

describe("INDEX_DATABASES", () => {
  it("fails closed on a name that is not a binding name, twice the same, or too many", () => {
    for (const value of ["", "db", "DB,DB", "DB,", Array.from({ length: 17 }, (_, i) => `INDEX_${i}`).join(",")]) {
      expect(() => getConfig(envWith({ INDEX_DATABASES: value })), value).toThrow(ConfigError);
    }
    expect(getConfig(envWith({ INDEX_DATABASES: " DB , INDEX_1 " })).indexDatabases).toEqual(["DB", "INDEX_1"]);
    // A retired database is named once in all, and 16 at most in all.
    for (const [writes, retired] of [
      ["DB,INDEX_1", "INDEX_1"],
      ["DB", "db"],
      ["DB", "INDEX_1,INDEX_1"],
      [Array.from({ length: 15 }, (_, i) => `INDEX_${i}`).join(","), "DB,INDEX_99"],
    ]) {
      expect(() => getConfig(envWith({ INDEX_DATABASES: writes!, INDEX_RETIRED_DATABASES: retired! })), `${writes} / ${retired}`).toThrow(ConfigError);
    }
    expect(getConfig(envWith({ INDEX_DATABASES: "INDEX_1", INDEX_RETIRED_DATABASES: "" })).indexRetiredDatabases).toEqual([]);
  });

  it("fails closed on a name that is no D1 binding: the API and ingest say the relay is misconfigured, the consumer hands nothing on", async () => {
    for (const name of ["INDEX_9", "CASES", "ENVIRONMENT"]) {
      expect(() => indexDatabases(envWith({ INDEX_DATABASES: `DB,${name}` })), name).toThrow(/INDEX_DATABASES \(\w+ is not a D1 binding\)/);
    }
    expect(() => getConfig(envWith({ INDEX_RETIRED_DATABASES: "INDEX_9" }))).toThrow(/INDEX_RETIRED_DATABASES \(INDEX_9 is not a D1 binding\)/);
    const bad = envWith({ INDEX_DATABASES: "DB,INDEX_9" });
    const customer = await createCustomer();
    for (const req of [
      new Request(`http://relay.test/v1/events?customer_id=${customer.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      new Request("http://relay.test/in/src_01JD3ZQ7W8X9Y0A1B2C3D4E5F6", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
    ]) {
      const res = await worker.fetch(req as Parameters<typeof worker.fetch>[0], bad, createExecutionContext());
      expect(res.status, req.url).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("misconfigured");
    }
    const process = vi.spyOn(env.CASES, "get");
    const message: ReceiptMessage = {
      kind: "receipt",
      id: `rcv_${ulid()}`,
      source_id: "src_misconfigured",
      customer_id: customer.id,
      case_id: "c",
      dedupe_key: "k",
      subject: "c",
      provider_event_id: null,
      event_type: "x",
      version: null,
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: "{}",
    };
    const batch = createMessageBatch<ReceiptMessage>("caserelay-inbox", [{ id: "m1", timestamp: new Date(), attempts: 1, body: message }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<never>, bad, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    expect(process).not.toHaveBeenCalled();
    process.mockRestore();
  });
});
