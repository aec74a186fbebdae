/** Reading a case's record from D1 as a CaseSnapshot: three statements that ride in a caller's batch. */
import type { Envelope } from "../domain";
import type { CaseKey, CaseSnapshot } from "./case-types";

export function snapshotStatements(db: D1Database, key: Pick<CaseKey, "sourceId" | "caseId">): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `SELECT r.id, r.subject, r.version, r.received_at, r.outcome, e.id AS event_id
           FROM receipts r LEFT JOIN events e ON e.id = 'evt_' || substr(r.id, 5)
          WHERE r.source_id = ?1 AND r.case_id = ?2 AND (r.outcome IS NOT NULL OR e.id IS NOT NULL)`,
      )
      .bind(key.sourceId, key.caseId),
    db
      .prepare(
        `SELECT e.sequence, e.payload, e.created_at FROM receipts r JOIN events e ON e.id = 'evt_' || substr(r.id, 5)
          WHERE r.source_id = ?1 AND r.case_id = ?2 ORDER BY e.sequence DESC LIMIT 1`,
      )
      .bind(key.sourceId, key.caseId),
    db.prepare("SELECT terminal, last_sequence FROM cases WHERE source_id = ?1 AND case_id = ?2").bind(key.sourceId, key.caseId),
  ];
}

/** How many statements snapshotStatements() adds to a batch, in order. */
const STATEMENTS = 3;

type ReceiptRow = { id: string; subject: string; version: string | null; received_at: number; outcome: string | null; event_id: string | null };
type LatestRow = { sequence: number; payload: string; created_at: number };
type CaseRow = { terminal: number; last_sequence: number };

export function snapshotFrom([receipts, latest, row]: D1Result[]): CaseSnapshot {
  const l = latest?.results[0] as LatestRow | undefined;
  const c = row?.results[0] as CaseRow | undefined;
  return {
    receipts: ((receipts?.results ?? []) as ReceiptRow[]).map((r) => ({ id: r.id, subject: r.subject, version: r.version, receivedAt: r.received_at, outcome: r.outcome, eventId: r.event_id })),
    latest: l ? { sequence: l.sequence, payload: JSON.parse(l.payload) as Envelope, createdAt: l.created_at } : null,
    terminal: c?.terminal === 1,
    lastSequence: c?.last_sequence ?? 0,
  };
}

/** The snapshots of `count` cases from the results of their statements, laid end to end. */
export function snapshotsFrom(results: D1Result[], count: number): CaseSnapshot[] {
  return Array.from({ length: count }, (_, i) => snapshotFrom(results.slice(i * STATEMENTS, (i + 1) * STATEMENTS)));
}

/** Snapshots of several cases in one round trip (used where no batch is being made anyway). */
export async function loadSnapshots(db: D1Database, keys: Pick<CaseKey, "sourceId" | "caseId">[]): Promise<CaseSnapshot[]> {
  if (!keys.length) return [];
  return snapshotsFrom(await db.batch(keys.flatMap((k) => snapshotStatements(db, k))), keys.length);
}
