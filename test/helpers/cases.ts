/**
 * A case's object as tests reach it: its raw record (runInDurableObject), its alarm run on demand,
 * and its retries made due now, so tests drive the retry schedule without waiting for it.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
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
export function storedReceipt(sourceId: string, caseId: string, receiptId: string): Promise<{ id: string; outcome: string; body: string | null; body_sha256: string | null } | undefined> {
  return runInDurableObject(caseStub(sourceId, caseId), (_o, state) => {
    const exists = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'receipts'").toArray().length > 0;
    return exists ? (state.storage.sql.exec("SELECT id, outcome, body, body_sha256 FROM receipts WHERE id = ?", receiptId).toArray()[0] as never) : undefined;
  });
}

export async function storedDeliveries(sourceId: string, caseId: string): Promise<StoredDelivery[]> {
  const rows = await storedReceipts(sourceId, caseId);
  return rows.filter((r) => r.sequence !== null).flatMap((r) => (JSON.parse(r.deliveries) as Delivery[]).map((d) => ({ ...d, sequence: r.sequence!, event_id: r.event_id! })));
}

/** Moves every pending or retrying delivery's next attempt to now (as if its wait were over). */
export function makeDue(sourceId: string, caseId: string): Promise<number> {
  return runInDurableObject(caseStub(sourceId, caseId), (_o, state) => {
    let moved = 0;
    const past = new Date(Date.now() - 1).toISOString();
    for (const row of state.storage.sql.exec("SELECT n, deliveries FROM receipts WHERE sequence IS NOT NULL").toArray() as { n: number; deliveries: string }[]) {
      const list = JSON.parse(row.deliveries) as Delivery[];
      const next = list.map((d) => ((d.status === "pending" || d.status === "retrying") && d.next_attempt_at !== null ? (moved++, { ...d, next_attempt_at: past }) : d));
      state.storage.sql.exec("UPDATE receipts SET deliveries = ? WHERE n = ?", JSON.stringify(next), row.n);
    }
    return moved;
  });
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
