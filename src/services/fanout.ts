/**
 * Operator work that spans many cases, handed to their case objects from the D1 index: deliveries
 * held for an endpoint that is active again, and failed ones an operator asked to recover. Every
 * pass is bounded and state-driven: the admin API runs one right away (in the background), each
 * cron run another, so however many there are, and even those held while a pass ran, all go out.
 */
import { caseObject } from "../case/client";
import { caseObjectName, type CaseKey } from "../case/types";
import { errorSummary, log } from "../lib/log";

/** Index rows read per pass, and how many case objects are called at once. */
export const FANOUT_LIMIT = 1000;
const CONCURRENCY = 10;

type Row = { id: string; endpoint_id: string; source_id: string; case_id: string; status: "held" | "recovering" };

export async function releaseAndRecover(env: Env, opts: { endpointId?: string; limit?: number } = {}): Promise<Record<string, number>> {
  const limit = opts.limit ?? FANOUT_LIMIT;
  const rows = await env.DB.prepare(
    `SELECT d.id, d.endpoint_id, d.source_id, d.case_id, d.status FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
      WHERE e.status = 'active' AND d.status IN ('held', 'recovering') AND (?1 IS NULL OR d.endpoint_id = ?1)
      ORDER BY d.updated_at LIMIT ?2`,
  )
    .bind(opts.endpointId ?? null, limit)
    .all<Row>();
  const groups = new Map<string, { name: string; key: CaseKey; endpointId: string; held: boolean; recover: string[] }>();
  for (const r of rows.results) {
    const name = caseObjectName({ sourceId: r.source_id, caseId: r.case_id });
    const key = `${name}\u0000${r.endpoint_id}`;
    const g = groups.get(key) ?? { name, key: { sourceId: r.source_id, caseId: r.case_id }, endpointId: r.endpoint_id, held: false, recover: [] };
    if (r.status === "held") g.held = true;
    else g.recover.push(r.id);
    groups.set(key, g);
  }
  const counts = { rows: rows.results.length, cases: groups.size, released: 0, recovered: 0, unknown: 0, failed: 0 };
  const forget: string[] = [];
  const queue = [...groups.values()];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) {
        const stub = caseObject(env, g.key);
        try {
          if (g.held) {
            const { released } = await stub.release(g.endpointId);
            counts.released += released;
          }
          if (g.recover.length) {
            const r = await stub.recover(g.endpointId, g.recover);
            counts.recovered += r.requeued.length;
            counts.unknown += r.unknown.length;
            forget.push(...r.unknown);
          }
        } catch (err) {
          counts.failed++;
          log("error", "release or recover failed in a case", { case: g.name, endpoint_id: g.endpointId, error: errorSummary(err) });
        }
      }
    }),
  );
  // Rows the object does not know (retention deleted the event, or it was not failed after all).
  if (forget.length) await env.DB.batch(forget.map((id) => env.DB.prepare("DELETE FROM deliveries WHERE id = ?1 AND status = 'recovering'").bind(id)));
  return counts;
}
