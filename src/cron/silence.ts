import { announce } from "../alerts/announce";
import { indexStatements, type ControlWrite } from "../db/index-writes";

/**
 * A source with no webhook for longer than its silence_after_seconds is flagged, its open cases
 * reconciled, and its source.silent issue opened (resolved by the next webhook: src/db/index-writes.ts).
 */
export async function flagSilentSources(env: Env, now: number): Promise<Record<string, number>> {
  const silent = await env.DB.prepare(
    `UPDATE sources SET silent_since = ?1
      WHERE silent_since IS NULL AND COALESCE(last_receipt_at, created_at) < ?1 - silence_after_seconds * 1000
      RETURNING id, silence_after_seconds`,
  )
    .bind(now)
    .all<{ id: string; silence_after_seconds: number }>();
  if (silent.results.length) {
    const issues: ControlWrite[] = silent.results.map((s) => ({
      kind: "issue",
      issue: "source.silent",
      subjectId: s.id,
      count: 1,
      detail: `no webhook for more than ${s.silence_after_seconds} s (silence_after_seconds)`,
      ref: { source_id: s.id },
      at: now,
    }));
    // Make their open cases due now: missed webhooks are the likely reason for the silence.
    const results = await env.DB.batch([
      ...silent.results.map((s) =>
        env.DB.prepare("UPDATE cases SET check_after = ?2 WHERE source_id = ?1 AND terminal = 0 AND check_after > ?2").bind(s.id, now),
      ),
      ...indexStatements(env.DB, issues),
    ]);
    await announce(env, results);
  }
  return { flagged: silent.results.length };
}
