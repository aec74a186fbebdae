/**
 * Source and endpoint activity for the console, from the counters the pipeline adds to once per
 * queue batch (source_days, endpoint_hours) and the index of deliveries that need an operator.
 * Each read is a handful of small rows; none scans events.
 */
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Days shown per source: today (UTC) and the six before it. */
export const ACTIVITY_DAYS = 7;
/** How far back endpoint activity looks. */
export const ENDPOINT_WINDOW_MS = DAY_MS;

export type SourceActivity = {
  /** Oldest first; `day` is the UTC date. */
  days: { day: string; receipts: number; duplicates: number }[];
};

/** Webhook receipts per UTC day over the last ACTIVITY_DAYS days, per source, in one D1 round trip. */
export async function sourceActivity(db: D1Database, sourceIds: string[], now = Date.now()): Promise<Map<string, SourceActivity>> {
  const first = Math.floor(now / DAY_MS) * DAY_MS - (ACTIVITY_DAYS - 1) * DAY_MS;
  const out = new Map<string, SourceActivity>();
  if (!sourceIds.length) return out;
  const results = await db.batch(
    sourceIds.map((id) => db.prepare("SELECT day, receipts, duplicates FROM source_days WHERE source_id = ?1 AND day >= ?2").bind(id, first)),
  );
  sourceIds.forEach((id, i) => {
    const rows = results[i]!.results as { day: number; receipts: number; duplicates: number }[];
    const days = Array.from({ length: ACTIVITY_DAYS }, (_, d) => {
      const day = first + d * DAY_MS;
      const row = rows.find((r) => r.day === day);
      return { day: new Date(day).toISOString().slice(0, 10), receipts: row?.receipts ?? 0, duplicates: row?.duplicates ?? 0 };
    });
    out.set(id, { days });
  });
  return out;
}

export type EndpointActivity = {
  /** Attempts made in the window, and how many failed (no answer, or not 2xx). */
  attempts: number;
  failedAttempts: number;
  /** Deliveries that need another try, that failed for good (recoverable), or that wait for the endpoint to resume. */
  retrying: number;
  failed: number;
  held: number;
};

export type EndpointActivityReport = { since: number; byEndpoint: Map<string, EndpointActivity> };

export async function endpointActivity(db: D1Database, endpointIds: string[], now = Date.now()): Promise<EndpointActivityReport> {
  const since = now - ENDPOINT_WINDOW_MS;
  const byEndpoint = new Map<string, EndpointActivity>();
  if (!endpointIds.length) return { since, byEndpoint };
  const list = endpointIds.map((_, i) => `?${i + 2}`).join(", ");
  const [hours, states] = await db.batch([
    db
      .prepare(
        `SELECT endpoint_id, SUM(attempts) AS attempts, SUM(failures) AS failures FROM endpoint_hours WHERE hour >= ?1 AND endpoint_id IN (${list}) GROUP BY endpoint_id`,
      )
      .bind(Math.floor(since / HOUR_MS) * HOUR_MS, ...endpointIds),
    db
      .prepare(
        `SELECT endpoint_id, status, COUNT(*) AS n FROM deliveries WHERE endpoint_id IN (${list.replace(/\?(\d+)/g, (_, n) => `?${Number(n) - 1}`)}) GROUP BY endpoint_id, status`,
      )
      .bind(...endpointIds),
  ]);
  const get = (id: string) => {
    const known = byEndpoint.get(id);
    if (known) return known;
    const a = { attempts: 0, failedAttempts: 0, retrying: 0, failed: 0, held: 0 };
    byEndpoint.set(id, a);
    return a;
  };
  for (const r of hours!.results as { endpoint_id: string; attempts: number; failures: number }[]) {
    const a = get(r.endpoint_id);
    a.attempts = r.attempts;
    a.failedAttempts = r.failures;
  }
  for (const r of states!.results as { endpoint_id: string; status: string; n: number }[]) {
    const a = get(r.endpoint_id);
    if (r.status === "retrying" || r.status === "recovering") a.retrying += r.n;
    else if (r.status === "failed") a.failed += r.n;
    else if (r.status === "held") a.held += r.n;
  }
  return { since, byEndpoint };
}
