/**
 * After a D1 batch of index writes: the issues it opened, escalated or resolved (their statements
 * return `announce_issue`) go to the ALERTS queue, where the notifier decides what to send. Never
 * in the pipeline's way: a failure to queue is logged, and the cron's alerts step finds every
 * transition not yet announced.
 */
import { errorSummary, log } from "../lib/log";
import type { AlertMessage } from "./messages";

export function announcedIssues(results: readonly D1Result[]): string[] {
  const ids = new Set<string>();
  for (const r of results) {
    for (const row of (r.results ?? []) as { announce_issue?: unknown }[]) {
      if (typeof row.announce_issue === "string") ids.add(row.announce_issue);
    }
  }
  return [...ids];
}

/** Queue messages carry at most this many per sendBatch call. */
const SEND_BATCH = 100;

export async function announce(env: Env, results: readonly D1Result[]): Promise<void> {
  await planNotifications(env, announcedIssues(results));
}

export async function planNotifications(env: Env, issueIds: readonly string[], delaySeconds?: number): Promise<void> {
  if (!issueIds.length) return;
  try {
    for (let i = 0; i < issueIds.length; i += SEND_BATCH) {
      const batch = issueIds
        .slice(i, i + SEND_BATCH)
        .map((id) => ({ body: { kind: "alert_plan", issue_id: id } satisfies AlertMessage, contentType: "json" as const, delaySeconds }));
      await env.ALERTS.sendBatch(batch);
    }
  } catch (err) {
    log("warn", "alert notifications not queued; the cron sends them", { issues: issueIds.slice(0, 20), error: errorSummary(err) });
  }
}
