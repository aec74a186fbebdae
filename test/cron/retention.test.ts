/**
 * Retention of the D1 index deletes exactly what is past its window, in bounded batches (each case
 * object prunes its own record: test/case/durability.test.ts).
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { enforceRetention } from "../../src/services/retention";
import { getConfig } from "../../src/lib/config";
import { ulid } from "../../src/lib/ids";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { indexCount, indexRows, insertIndexedEvent } from "../helpers/index-dbs";

const DAY = 86_400_000;

it("deletes index rows and test sends past the event retention, and health counters past what the console shows", async () => {
  const customer = await createCustomer();
  const now = Date.now();
  const old = ulid(now - 31 * DAY);
  const recent = ulid(now - 29 * DAY);
  const sourceId = `src_${ulid()}`;
  for (const u of [old, recent]) await insertIndexedEvent({ customerId: customer.id, id: `evt_${u}`, sourceId });
  await env.DB.batch([
    ...[old, recent].map((u) =>
      env.DB.prepare(
        `INSERT INTO deliveries (id, customer_id, endpoint_id, source_id, case_id, event_id, sequence, status, created_at, updated_at)
         VALUES (?1, ?2, 'ep_x', ?3, 'c', ?4, 1, 'failed', ?5, ?5)`,
      ).bind(`dlv_${u}AAAAAA`, customer.id, sourceId, `evt_${u}`, now),
    ),
    ...[
      [old, now - 31 * DAY],
      [recent, now - 29 * DAY],
    ].map(([u, at]) =>
      env.DB.prepare(
        "INSERT INTO failed_receipts (id, customer_id, source_id, case_id, reason, detail, failed_at) VALUES (?1, ?2, ?3, 'c', 'dead_lettered', '', ?4)",
      ).bind(`rcv_${u}`, customer.id, sourceId, at),
    ),
    ...[
      ["closed-old", 1, now - 31 * DAY],
      ["closed-recent", 1, now - 29 * DAY],
      ["open-old", 0, now - 31 * DAY],
    ].map(([caseId, terminal, at]) =>
      env.DB.prepare(
        "INSERT INTO cases (source_id, case_id, customer_id, status, terminal, check_after, created_at, updated_at) VALUES (?1, ?2, ?3, 'completed', ?4, ?5, ?5, ?5)",
      ).bind(sourceId, caseId, customer.id, terminal, at),
    ),
    env.DB.prepare("INSERT INTO source_days (source_id, day, receipts) VALUES (?1, ?2, 1), (?1, ?3, 1)").bind(sourceId, now - 9 * DAY, now - 2 * DAY),
    env.DB.prepare("INSERT INTO endpoint_hours (endpoint_id, hour, attempts) VALUES ('ep_ret', ?1, 1), ('ep_ret', ?2, 1)").bind(now - 3 * DAY, now - 3600_000),
    ...[old, recent].map((u, i) =>
      env.DB.prepare(
        "INSERT INTO endpoint_tests (id, endpoint_id, customer_id, event_id, event_type, at, status_code, duration_ms) VALUES (?1, 'ep_ret', ?2, ?3, 'case.updated', ?4, 200, 5)",
      ).bind(`att_${u}`, customer.id, `evt_${u}`, i === 0 ? now - 31 * DAY : now - 29 * DAY),
    ),
  ]);

  const counts = await enforceRetention(env, now, getConfig(env));
  expect(counts).toMatchObject({ events: expect.any(Number), deliveries: expect.any(Number), failed_receipts: expect.any(Number), cases: expect.any(Number) });

  const ids = async (sql: string) => (await env.DB.prepare(sql).bind(sourceId).all<{ id: string }>()).results.map((r) => r.id);
  expect((await indexRows<{ id: string }>("SELECT id FROM events WHERE source_id = ?1", sourceId)).map((r) => r.id)).toEqual([`evt_${recent}`]);
  expect(await ids("SELECT id FROM deliveries WHERE source_id = ?1")).toEqual([`dlv_${recent}AAAAAA`]);
  expect(await ids("SELECT id FROM failed_receipts WHERE source_id = ?1")).toEqual([`rcv_${recent}`]);
  // A closed case quiet past retention goes (its object keeps its numbering); an open one stays for the reconcile cron.
  expect((await ids("SELECT case_id AS id FROM cases WHERE source_id = ?1 ORDER BY case_id")).sort()).toEqual(["closed-recent", "open-old"]);
  expect(await ids("SELECT CAST(day AS TEXT) AS id FROM source_days WHERE source_id = ?1")).toEqual([String(now - 2 * DAY)]);
  const hours = await env.DB.prepare("SELECT hour FROM endpoint_hours WHERE endpoint_id = 'ep_ret'").all<{ hour: number }>();
  expect(hours.results.map((h) => h.hour)).toEqual([now - 3600_000]);
  expect((await env.DB.prepare("SELECT id FROM endpoint_tests WHERE endpoint_id = 'ep_ret'").all<{ id: string }>()).results.map((r) => r.id)).toEqual([
    `att_${recent}`,
  ]);
});

it("scoped to one customer, deletes only that customer's rows past retention", async () => {
  const now = Date.now();
  /** One customer with one row past retention and one within it in every table retention prunes. */
  const customerWithRows = async () => {
    const customer = await createCustomer();
    const source = await createSource(customer.id);
    const endpoint = await createEndpoint(customer.id);
    await env.DB.batch([...rowsAt(customer.id, source.id, endpoint.id, "old"), ...rowsAt(customer.id, source.id, endpoint.id, "recent")]);
    for (const at of [now - 31 * DAY, now - 1000]) await insertIndexedEvent({ customerId: customer.id, id: `evt_${ulid(at)}`, sourceId: source.id });
    return { customer, source, endpoint };
  };
  /** A row in each table, past retention ("old") or within it ("recent"). */
  const rowsAt = (customerId: string, sourceId: string, endpointId: string, age: "old" | "recent") => {
    const at = age === "old" ? now - 31 * DAY : now - 1000;
    const u = ulid(at);
    const counterAt = age === "old" ? now - 9 * DAY : now - 1000;
    return [
      env.DB.prepare(
        `INSERT INTO deliveries (id, customer_id, endpoint_id, source_id, case_id, event_id, sequence, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'c', ?5, 1, 'failed', ?6, ?6)`,
      ).bind(`dlv_${u}AAAAAA`, customerId, endpointId, sourceId, `evt_${u}`, at),
      env.DB.prepare(
        "INSERT INTO failed_receipts (id, customer_id, source_id, case_id, reason, detail, failed_at) VALUES (?1, ?2, ?3, 'c', 'dead_lettered', '', ?4)",
      ).bind(`rcv_${u}`, customerId, sourceId, at),
      env.DB.prepare(
        "INSERT INTO cases (source_id, case_id, customer_id, status, terminal, check_after, created_at, updated_at) VALUES (?1, ?2, ?3, 'completed', 1, ?4, ?4, ?4)",
      ).bind(sourceId, `closed-${age}`, customerId, at),
      env.DB.prepare("INSERT INTO source_days (source_id, day, receipts) VALUES (?1, ?2, 1)").bind(sourceId, counterAt),
      env.DB.prepare("INSERT INTO endpoint_hours (endpoint_id, hour, attempts) VALUES (?1, ?2, 1)").bind(
        endpointId,
        age === "old" ? now - 3 * DAY : now - 1000,
      ),
      env.DB.prepare(
        "INSERT INTO endpoint_tests (id, endpoint_id, customer_id, event_id, event_type, at, status_code, duration_ms) VALUES (?1, ?2, ?3, ?4, 'case.updated', ?5, 200, 5)",
      ).bind(`att_${u}`, endpointId, customerId, `evt_${u}`, at),
    ];
  };
  const rowsOf = async ({ customer, source, endpoint }: Awaited<ReturnType<typeof customerWithRows>>) => {
    const n = async (sql: string, ...args: string[]) =>
      (
        await env.DB.prepare(sql)
          .bind(...args)
          .first<{ n: number }>()
      )?.n;
    return {
      events: await indexCount("SELECT count(*) AS n FROM events WHERE customer_id = ?1", customer.id),
      deliveries: await n("SELECT count(*) AS n FROM deliveries WHERE customer_id = ?1", customer.id),
      failed_receipts: await n("SELECT count(*) AS n FROM failed_receipts WHERE customer_id = ?1", customer.id),
      cases: await n("SELECT count(*) AS n FROM cases WHERE customer_id = ?1", customer.id),
      endpoint_tests: await n("SELECT count(*) AS n FROM endpoint_tests WHERE customer_id = ?1", customer.id),
      source_days: await n("SELECT count(*) AS n FROM source_days WHERE source_id = ?1", source.id),
      endpoint_hours: await n("SELECT count(*) AS n FROM endpoint_hours WHERE endpoint_id = ?1", endpoint.id),
    };
  };
  const tables = ["events", "deliveries", "failed_receipts", "cases", "endpoint_tests", "source_days", "endpoint_hours"];
  const each = (n: number) => Object.fromEntries(tables.map((t) => [t, n]));
  const [a, b] = [await customerWithRows(), await customerWithRows()];
  expect([await rowsOf(a), await rowsOf(b)]).toEqual([each(2), each(2)]);

  const counts = await enforceRetention(env, now, getConfig(env), { customerId: a.customer.id });
  expect(counts).toEqual(each(1));
  // The customer's rows within retention stay, and the other customer's all do.
  expect(await rowsOf(a)).toEqual(each(1));
  expect(await rowsOf(b)).toEqual(each(2));
});
