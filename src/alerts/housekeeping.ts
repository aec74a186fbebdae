/**
 * The cron's alerts step (every 5 minutes, bounded): what no pipeline step will ever clear, and
 * what a lost announcement left unsaid. Informational issues resolve once quiet; issues whose
 * failed deliveries or receipts retention removed resolve; old resolved issues and forgotten
 * streaks go; transitions not yet notified are planned again.
 */
import type { Config } from "../lib/config";
import { announce } from "./announce";
import { INFO_QUIET_MS, ISSUE_KINDS, KINDS } from "../domain/issues";
import { replanMissed } from "./notifier";

const DAY = 86_400_000;
/** A streak below its threshold that has not grown for this long is forgotten. */
const STALE_STREAK_MS = 7 * DAY;

const resolveWhere = (where: string) =>
  `UPDATE issues SET status = 'resolved', open_key = NULL, resolved_at = ?1, resolved_by = 'relay', resolution = ?2,
          revision = revision + 1, revised_at = ?1, updated_at = ?1
    WHERE status IN ('open', 'acknowledged') AND ${where}
    RETURNING id AS announce_issue`;

export async function alertHousekeeping(env: Env, now: number, config: Config): Promise<Record<string, number>> {
  const informational = ISSUE_KINDS.filter((k) => KINDS[k].informational)
    .map((k) => `'${k}'`)
    .join(", ");
  const db = env.DB;
  const results = await db.batch([
    db.prepare(resolveWhere(`kind IN (${informational}) AND last_seen_at < ?1 - ?3`)).bind(now, "no other occurrence for 24 hours", INFO_QUIET_MS),
    db
      .prepare(
        resolveWhere("kind = 'delivery.exhausted' AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = issues.subject_id AND d.status = 'failed')"),
      )
      .bind(now, "no failed delivery is left to the endpoint"),
    db
      .prepare(resolveWhere("kind = 'receipt.failed' AND NOT EXISTS (SELECT 1 FROM failed_receipts f WHERE f.source_id = issues.subject_id)"))
      .bind(now, "no failed receipt is left to the source"),
    db.prepare("DELETE FROM issues WHERE status = 'resolved' AND resolved_at < ?1").bind(now - config.eventRetentionMs),
    db.prepare("DELETE FROM issues WHERE status = 'pending' AND last_seen_at < ?1").bind(now - STALE_STREAK_MS),
  ]);
  await announce(env, results);
  const resolved = results.slice(0, 3).reduce((n, r) => n + (r.results?.length ?? 0), 0);
  const deleted = (results[3]?.meta.changes ?? 0) + (results[4]?.meta.changes ?? 0);
  return { resolved, deleted, replanned: await replanMissed(env, now) };
}
