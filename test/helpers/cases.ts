/**
 * A case's object as tests reach it: its raw record (runInDurableObject), its alarm run on demand,
 * and its retries made due now, so tests drive the retry schedule without waiting for it.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { forgetEndpoints } from "../../src/db/control-plane";
import type { Delivery } from "../../src/domain";

/** Bound when this module loads, so a test that wraps env.CASES.get (test/reliability/chaos.test.ts) still gets real stubs here. */
const getStub = env.CASES.get.bind(env.CASES);
export const caseStub = (sourceId: string, caseId: string) => getStub(env.CASES.idFromName(`${sourceId}:${caseId}`));

export type StoredDelivery = Delivery & { sequence: number; event_id: string };

type Row = { n: number; id: string; outcome: string; sequence: number | null; event_id: string | null; deliveries: string; reason: string | null };

/** The case's receipts as its object stores them (empty for a case it never recorded). */
export function storedReceipts(sourceId: string, caseId: string): Promise<Row[]> {
  return runInDurableObject(caseStub(sourceId, caseId), (_o, state) => {
    const exists = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'receipts'").toArray().length > 0;
    return exists ? (state.storage.sql.exec("SELECT n, id, outcome, sequence, event_id, deliveries, reason FROM receipts ORDER BY n").toArray() as Row[]) : [];
  });
}

/** One receipt as its case object stores it, body included. */
export function storedReceipt(
  sourceId: string,
  caseId: string,
  receiptId: string,
): Promise<{ id: string; outcome: string; body: string | null; body_sha256: string | null } | undefined> {
  return runInDurableObject(caseStub(sourceId, caseId), (_o, state) => {
    const exists = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'receipts'").toArray().length > 0;
    return exists ? (state.storage.sql.exec("SELECT id, outcome, body, body_sha256 FROM receipts WHERE id = ?", receiptId).toArray()[0] as never) : undefined;
  });
}

export async function storedDeliveries(sourceId: string, caseId: string): Promise<StoredDelivery[]> {
  const rows = await storedReceipts(sourceId, caseId);
  return rows
    .filter((r) => r.sequence !== null)
    .flatMap((r) => (JSON.parse(r.deliveries) as Delivery[]).map((d) => ({ ...d, sequence: r.sequence!, event_id: r.event_id! })));
}

/**
 * Rewrites every delivery of the case's events in its object's storage, behind the object's back
 * (as time passing, or an outage, would leave them).
 */
export function rewriteDeliveries(
  sourceId: string,
  caseId: string,
  change: (d: Delivery, event: { sequence: number; eventId: string }) => Delivery,
): Promise<void> {
  return runInDurableObject(caseStub(sourceId, caseId), (_o, state) => {
    const rows = state.storage.sql.exec("SELECT n, sequence, event_id, deliveries FROM receipts WHERE sequence IS NOT NULL").toArray() as {
      n: number;
      sequence: number;
      event_id: string;
      deliveries: string;
    }[];
    for (const row of rows) {
      const next = (JSON.parse(row.deliveries) as Delivery[]).map((d) => change(d, { sequence: row.sequence, eventId: row.event_id }));
      state.storage.sql.exec("UPDATE receipts SET deliveries = ? WHERE n = ?", JSON.stringify(next), row.n);
    }
  });
}

/**
 * Moves every pending or retrying delivery's next attempt to now (as if its wait were over), and
 * ends the cooldowns of their endpoints (a wait too: test/flow/cooldown.test.ts).
 */
export async function makeDue(sourceId: string, caseId: string): Promise<number> {
  const endpointIds = new Set<string>();
  let moved = 0;
  const past = new Date(Date.now() - 1).toISOString();
  await rewriteDeliveries(sourceId, caseId, (d) => {
    if ((d.status !== "pending" && d.status !== "retrying") || d.next_attempt_at === null) return d;
    moved++;
    endpointIds.add(d.endpoint_id);
    return { ...d, next_attempt_at: past };
  });
  const ids = [...endpointIds];
  if (ids.length) {
    const cooled = await env.DB.prepare(
      `UPDATE endpoints SET throttled_until = NULL WHERE throttled_until IS NOT NULL AND id IN (${ids.map(() => "?").join(", ")})`,
    )
      .bind(...ids)
      .run();
    if (cooled.meta.changes) forgetEndpoints();
  }
  return moved;
}

/**
 * As if every retry of the case's deliveries to `endpointId` had run out: failed in its record and
 * in the index, as an operator's recover finds them. Returns their ids.
 */
export async function markFailed(sourceId: string, caseId: string, customerId: string, endpointId: string): Promise<string[]> {
  const failed: { id: string; eventId: string; sequence: number; createdAt: number }[] = [];
  await rewriteDeliveries(sourceId, caseId, (d, row) => {
    if (d.endpoint_id !== endpointId) return d;
    failed.push({ id: d.id, eventId: row.eventId, sequence: row.sequence, createdAt: Date.parse(d.created_at) });
    return { ...d, status: "failed" as const, next_attempt_at: null };
  });
  if (failed.length) {
    await env.DB.batch(
      failed.map((d) =>
        env.DB.prepare(
          `INSERT INTO deliveries (id, customer_id, endpoint_id, source_id, case_id, event_id, sequence, status, replay, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'failed', 0, ?8, ?9) ON CONFLICT (id) DO UPDATE SET status = 'failed', updated_at = excluded.updated_at`,
        ).bind(d.id, customerId, endpointId, sourceId, caseId, d.eventId, d.sequence, d.createdAt, Date.now()),
      ),
    );
  }
  return failed.map((d) => d.id);
}

/** The object's alarm, set or not, run now: what it would do when its next attempt falls due. */
export async function runAlarm(sourceId: string, caseId: string, opts: { due?: boolean } = {}): Promise<void> {
  if (opts.due) await makeDue(sourceId, caseId);
  const stub = caseStub(sourceId, caseId);
  const ran = await runDurableObjectAlarm(stub);
  // No alarm set (it may have just fired by itself): run the handler directly.
  if (!ran) await runInDurableObject(stub, (o: { alarm(): Promise<void> }) => o.alarm());
}

/** The time of the object's alarm, or null. */
export const alarmOf = (sourceId: string, caseId: string) => runInDurableObject(caseStub(sourceId, caseId), (_o, state) => state.storage.getAlarm());
