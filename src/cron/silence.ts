/** A source with no webhook for longer than its silence_after_seconds is flagged, and its open cases reconciled. */
export async function flagSilentSources(env: Env, now: number): Promise<Record<string, number>> {
  const silent = await env.DB.prepare(
    `UPDATE sources SET silent_since = ?1
      WHERE silent_since IS NULL AND COALESCE(last_receipt_at, created_at) < ?1 - silence_after_seconds * 1000
      RETURNING id`,
  )
    .bind(now)
    .all<{ id: string }>();
  if (silent.results.length) {
    // Make their open cases due now: missed webhooks are the likely reason for the silence.
    await env.DB.batch(
      silent.results.map((s) => env.DB.prepare("UPDATE cases SET check_after = ?2 WHERE source_id = ?1 AND terminal = 0 AND check_after > ?2").bind(s.id, now)),
    );
  }
  return { flagged: silent.results.length };
}
