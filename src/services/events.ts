/**
 * Events as the API shows them: listed from D1's index (one small row per event, spread over the
 * index's databases: src/db/index-shards.ts), read in full (envelope, deliveries, attempts) from
 * their case object. Every list reads a bounded number of index rows per page and database: a
 * filter that matches rarely returns a short page with a cursor to go on.
 */
import { caseObject } from "../case/client";
import type { DeliveryRecord, EventDetail, EventRecord } from "../case/types";
import type { EventType } from "../domain";
import { looksLikeId, timeOfId } from "../lib/ids";
import { and, desc, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { indexDatabaseOf, indexReadDatabases } from "../db/index-shards";
import { customers, events, type EventIndexRow } from "../db/schema";

/** Index rows a page examines at most beyond what it returns. */
export const EXAMINE_LIMIT = 2_000;
/** Without a customer, the operator's list merges the customers' ranges; past this many, name one. */
export const MERGE_CUSTOMERS_LIMIT = 100;

export type EventFilter = { customerId?: string; sourceId?: string; caseId?: string; type?: EventType; cursor?: string; limit: number };
export type EventPage = { rows: EventIndexRow[]; nextCursor: string | null };

const iso = (ms: number) => new Date(ms).toISOString();

export function eventSummaryView(r: EventIndexRow) {
  return {
    id: r.id,
    customer_id: r.customerId,
    source_id: r.sourceId,
    case_id: r.caseId,
    sequence: r.sequence,
    type: r.type,
    status: r.status,
    created_at: iso(timeOfId(r.id)),
  };
}

export function eventView(e: EventRecord) {
  return {
    id: e.id,
    customer_id: e.customerId,
    source_id: e.sourceId,
    case_id: e.caseId,
    sequence: e.sequence,
    type: e.type,
    status: e.status,
    receipt_id: e.receiptId,
    created_at: iso(e.createdAt),
    payload: e.payload,
  };
}

export function deliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    event_id: d.event_id,
    endpoint_id: d.endpoint_id,
    status: d.status,
    replay: d.replay,
    attempt_count: d.attempts.length,
    deferred: d.status === "pending" || d.status === "retrying" ? (d.deferred ?? null) : null,
    next_attempt_at: d.next_attempt_at,
    last_attempt: d.attempts.at(-1) ?? null,
  };
}

/** Newest first, one row per id (a row written to two databases, when their list changed between a write and its retry, is one). */
function newestFirst(rows: EventIndexRow[]): EventIndexRow[] {
  const sorted = rows.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return sorted.filter((r, i) => i === 0 || sorted[i - 1]!.id !== r.id);
}

/**
 * Newest first. A customer's events are one key range in each of the index's databases; without a
 * customer, the operator's list merges every customer's range (up to MERGE_CUSTOMERS_LIMIT
 * customers). Each range is read for at most limit + 1 rows, or limit + 1 + EXAMINE_LIMIT with a
 * filter; the page holds what matched above the highest point a read stopped at, and its cursor
 * goes on from there. A case's events come from its object instead (see caseEvents).
 */
export async function listEvents(env: Env, q: EventFilter): Promise<EventPage | { tooMany: true }> {
  const ids = q.customerId
    ? [q.customerId]
    : (
        await createDb(env.DB)
          .select({ id: customers.id })
          .from(customers)
          .orderBy(customers.id)
          .limit(MERGE_CUSTOMERS_LIMIT + 1)
      ).map((r) => r.id);
  if (ids.length > MERGE_CUSTOMERS_LIMIT) return { tooMany: true };
  if (!ids.length) return { rows: [], nextCursor: null };
  const examine = q.limit + 1 + (q.sourceId || q.type ? EXAMINE_LIMIT : 0);
  const range = (db: Db, customerId: string) =>
    db
      .select()
      .from(events)
      .where(and(eq(events.customerId, customerId), lt(events.id, q.cursor ?? "evt_~")))
      .orderBy(desc(events.id))
      .limit(examine);
  const results = (
    await Promise.all(
      indexReadDatabases(env).map((d1) => {
        const db = createDb(d1);
        const [first, ...rest] = ids.map((id) => range(db, id));
        return db.batch([first!, ...rest]);
      }),
    )
  ).flat();
  const matches = (x: EventIndexRow) => (!q.sourceId || x.sourceId === q.sourceId) && (!q.type || x.type === q.type);
  const hits: EventIndexRow[] = [];
  // Below the highest id where a read stopped short of its range's end, nothing is known yet.
  let stoppedAt: string | null = null;
  for (const r of results) {
    hits.push(...r.filter(matches));
    const last = r.at(-1);
    if (r.length === examine && last && (stoppedAt === null || last.id > stoppedAt)) stoppedAt = last.id;
  }
  const known = newestFirst(hits.filter((h) => stoppedAt === null || h.id >= stoppedAt));
  const rows = known.slice(0, q.limit);
  if (known.length > q.limit) return { rows, nextCursor: rows.at(-1)!.id };
  return { rows, nextCursor: stoppedAt };
}

/** Customer ids bound per statement when a database of its own is probed for the operator. */
const PROBE_CUSTOMERS = 5_000;

/**
 * The index row of an event the caller may see (a customer's key sees only its own): from the
 * database that takes its day's rows, else from whichever other one holds it (written before the
 * list changed, or retired).
 */
export async function findEventRow(env: Env, id: string, customerId?: string): Promise<EventIndexRow | null> {
  // Not an event id the relay makes (the API's patterns are looser): no row has it.
  if (!looksLikeId("evt", id)) return null;
  const control = createDb(env.DB);
  let customerIds: Promise<string[]> | undefined;
  const probe = async (d1: D1Database): Promise<EventIndexRow | undefined> => {
    const db = createDb(d1);
    const row = (owner: SQL | undefined) =>
      db
        .select()
        .from(events)
        .where(and(owner, eq(events.id, id)));
    if (customerId) return row(eq(events.customerId, customerId)).get();
    // The table is keyed by customer: without one, a probe per customer. In the control plane's
    // database they come from its customers table; elsewhere they are bound, as JSON arrays.
    if (d1 === env.DB) return row(inArray(events.customerId, control.select({ id: customers.id }).from(customers))).get();
    customerIds ??= control
      .select({ id: customers.id })
      .from(customers)
      .then((rows) => rows.map((r) => r.id));
    const ids = await customerIds;
    if (!ids.length) return undefined;
    const chunks = Array.from({ length: Math.ceil(ids.length / PROBE_CUSTOMERS) }, (_, i) => ids.slice(i * PROBE_CUSTOMERS, (i + 1) * PROBE_CUSTOMERS));
    const [first, ...rest] = chunks.map((chunk) => row(sql`${events.customerId} IN (SELECT value FROM json_each(${JSON.stringify(chunk)}))`).limit(1));
    return (await db.batch([first!, ...rest])).flat()[0];
  };
  const home = indexDatabaseOf(env, id);
  const found = await probe(home);
  if (found) return found;
  const others = await Promise.all(
    indexReadDatabases(env)
      .filter((d1) => d1 !== home)
      .map(probe),
  );
  return others.find((r) => r !== undefined) ?? null;
}

export const caseStub = (env: Env, sourceId: string, caseId: string) => caseObject(env, { sourceId, caseId });

export async function eventDetail(env: Env, row: EventIndexRow): Promise<EventDetail | null> {
  return caseStub(env, row.sourceId, row.caseId).event(row.id);
}

/** A case's events, newest first, paged by id: from its object. */
export async function caseEvents(env: Env, sourceId: string, caseId: string, q: EventFilter): Promise<EventPage> {
  const trail = await caseStub(env, sourceId, caseId).trail();
  const all = trail.events
    .filter((e) => (!q.type || e.type === q.type) && (!q.cursor || e.id < q.cursor) && (!q.customerId || e.customerId === q.customerId))
    .sort((a, b) => (a.id < b.id ? 1 : -1))
    .map(
      (e): EventIndexRow => ({
        customerId: e.customerId,
        id: e.id,
        sourceId: e.sourceId,
        caseId: e.caseId,
        sequence: e.sequence,
        type: e.type,
        status: e.status,
      }),
    );
  const rows = all.slice(0, q.limit);
  return { rows, nextCursor: all.length > q.limit ? (rows.at(-1)?.id ?? null) : null };
}
