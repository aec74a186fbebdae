/**
 * Source and endpoint health for the console, computed from rows the pipeline writes anyway (no
 * counters are kept). Every scan is bounded: receipts have no time index, events and deliveries
 * are read as a key range of their time-sortable ids.
 */
import type { Delivery } from "../domain";
import { idFloor } from "../lib/ids";
import { recordFromEmbedded, recordFromRow, type DeliveryRow } from "./events";
import type { DeliveryRecord } from "./deliveries";

const DAY_MS = 86_400_000;

/** Days shown per source: today (UTC) and the six before it. */
export const HEALTH_DAYS = 7;
/** Receipts read per source at most. A source's receipts are a key prefix, but not in time order. */
export const RECEIPT_SCAN_LIMIT = 5_000;

export type SourceActivity = {
  /** Oldest first; `day` is the UTC date. */
  days: { day: string; receipts: number; duplicates: number }[];
  /** True when the scan stopped at RECEIPT_SCAN_LIMIT: the counts are a lower bound. */
  capped: boolean;
};

type DayRow = { day: number; receipts: number; duplicates: number; scanned: number };

/** Webhook receipts per UTC day over the last HEALTH_DAYS days, per source, in one D1 round trip. */
export async function sourceActivity(db: D1Database, sourceIds: string[], now = Date.now()): Promise<Map<string, SourceActivity>> {
  const first = Math.floor(now / DAY_MS) * DAY_MS - (HEALTH_DAYS - 1) * DAY_MS;
  const out = new Map<string, SourceActivity>();
  if (!sourceIds.length) return out;
  // The inner LIMIT bounds the rows read, not just the rows returned; older receipts fall in day -1.
  const results = await db.batch(
    sourceIds.map((id) =>
      db
        .prepare(
          `SELECT CASE WHEN received_at < ?2 THEN -1 ELSE CAST((received_at - ?2) / ${DAY_MS} AS INTEGER) END AS day,
                  SUM(kind = 'webhook') AS receipts, SUM(CASE WHEN kind = 'webhook' THEN duplicate_count ELSE 0 END) AS duplicates, COUNT(*) AS scanned
             FROM (SELECT received_at, kind, duplicate_count FROM receipts WHERE source_id = ?1 LIMIT ${RECEIPT_SCAN_LIMIT})
            GROUP BY day`,
        )
        .bind(id, first),
    ),
  );
  sourceIds.forEach((id, i) => {
    const rows = results[i]!.results as DayRow[];
    const days = Array.from({ length: HEALTH_DAYS }, (_, d) => {
      const row = rows.find((r) => r.day === d);
      return { day: new Date(first + d * DAY_MS).toISOString().slice(0, 10), receipts: row?.receipts ?? 0, duplicates: row?.duplicates ?? 0 };
    });
    out.set(id, { days, capped: rows.reduce((n, r) => n + r.scanned, 0) >= RECEIPT_SCAN_LIMIT });
  });
  return out;
}

/** How far back endpoint health looks, and how many events and queued deliveries it reads at most. */
export const ENDPOINT_WINDOW_MS = DAY_MS;
export const ENDPOINT_SCAN_LIMIT = 2_000;

export type EndpointActivity = {
  /** Attempts made in the window, and how many failed (no answer, or not 2xx). */
  attempts: number;
  failedAttempts: number;
  /** Current state of the window's deliveries to this endpoint. */
  retrying: number;
  failed: number;
  held: number;
};

export type EndpointActivityReport = { since: number; byEndpoint: Map<string, EndpointActivity>; capped: boolean };

/**
 * Delivery health per endpoint over the last ENDPOINT_WINDOW_MS: the first attempts embedded in
 * recent events, overridden by the deliveries table for those that were retried (delivery ids
 * start with their event's ULID, so both are id ranges from the same floor), plus replays.
 */
export async function endpointActivity(db: D1Database, now = Date.now()): Promise<EndpointActivityReport> {
  const since = now - ENDPOINT_WINDOW_MS;
  const [events, queued] = await db.batch([
    db.prepare(`SELECT id, deliveries FROM events WHERE id >= ?1 ORDER BY id DESC LIMIT ${ENDPOINT_SCAN_LIMIT}`).bind(idFloor("evt", since)),
    db.prepare(`SELECT * FROM deliveries WHERE id >= ?1 ORDER BY id DESC LIMIT ${ENDPOINT_SCAN_LIMIT}`).bind(idFloor("dlv", since)),
  ]);
  const eventRows = events!.results as { id: string; deliveries: string }[];
  const deliveryRows = queued!.results as DeliveryRow[];
  const byId = new Map<string, DeliveryRecord>();
  for (const e of eventRows) {
    for (const d of JSON.parse(e.deliveries) as Delivery[]) byId.set(d.id, recordFromEmbedded(e.id, d));
  }
  for (const r of deliveryRows) byId.set(r.id, recordFromRow(r));

  const byEndpoint = new Map<string, EndpointActivity>();
  for (const d of byId.values()) {
    let a = byEndpoint.get(d.endpointId);
    if (!a) byEndpoint.set(d.endpointId, (a = { attempts: 0, failedAttempts: 0, retrying: 0, failed: 0, held: 0 }));
    for (const attempt of d.attempts) {
      if (Date.parse(attempt.at) < since) continue;
      a.attempts++;
      if (attempt.error_kind !== null) a.failedAttempts++;
    }
    if (d.status === "retrying" || d.status === "pending") a.retrying++;
    else if (d.status === "failed") a.failed++;
    else if (d.status === "held") a.held++;
  }
  return { since, byEndpoint, capped: eventRows.length >= ENDPOINT_SCAN_LIMIT || deliveryRows.length >= ENDPOINT_SCAN_LIMIT };
}
