/**
 * The ALERTS queue's consumer, apart from the pipeline: nothing here is awaited by ingest, the
 * INBOX consumer or a case object, so an alert endpoint that is slow or down delays only its own
 * notifications.
 *
 * - `alert_plan`: reads the issue and decides what its latest transition calls for. An opening or
 *   a resolution goes out at once; an escalation at most once per ALERT_REPEAT_SECONDS per issue
 *   (held back, one delayed plan at a time, then sent with the latest count), never for an
 *   acknowledged issue. Each recipient gets its own `alert_deliver` message, so one failing alert
 *   endpoint is retried without resending to the others.
 * - `alert_deliver`: one signed POST (Standard Webhooks); a failure is retried with backoff
 *   (ALERT_RETRY_SECONDS), then given up and recorded on the alert endpoint.
 */
import { and, eq, isNull, lte, or } from "drizzle-orm";
import { createDb, type Db } from "../db/client";
import { alertEndpoints, issues, type IssueRow } from "../db/schema";
import { getConfig, type Config } from "../lib/config";
import { decryptJson } from "../lib/crypto";
import { errorSummary, log } from "../lib/log";
import { checkOutboundUrl } from "../lib/urls";
import { USER_AGENT } from "../pipeline/send";
import { signatureHeader } from "../pipeline/signing";
import { KINDS, type IssueKind } from "../domain/issues";
import { planNotifications } from "./announce";
import type { AlertMessage } from "./messages";
import { notificationFor, type Notification, type Transition } from "./view";

/** Waits before each retry of a notification that failed: 10 s, 1 min, 5 min, 30 min, 1 h, 3 h, 6 h, 12 h (about 23 h in all). */
export const ALERT_RETRY_SECONDS = [10, 60, 300, 1800, 3600, 10_800, 21_600, 43_200] as const;
export const ALERT_MAX_ATTEMPTS = ALERT_RETRY_SECONDS.length + 1;
export const ALERT_TIMEOUT_MS = 10_000;

export const alertRetryDelay = (attempts: number) => ALERT_RETRY_SECONDS[Math.min(Math.max(attempts, 1), ALERT_RETRY_SECONDS.length) - 1]!;

export async function handleAlerts(batch: MessageBatch<AlertMessage>, env: Env): Promise<void> {
  const config = getConfig(env);
  await Promise.all(
    batch.messages.map(async (msg) => {
      const m = msg.body;
      try {
        if (m.kind === "alert_plan") {
          await planIssue(env, config, m.issue_id, Date.now());
          msg.ack();
        } else if ((await deliver(env, config, m, msg.attempts, Date.now())) === "retry") {
          msg.retry({ delaySeconds: alertRetryDelay(msg.attempts) });
        } else {
          msg.ack();
        }
      } catch (err) {
        log("error", "alert message failed", { kind: m.kind, attempts: msg.attempts, error: errorSummary(err) });
        if (msg.attempts >= ALERT_MAX_ATTEMPTS) msg.ack();
        else msg.retry({ delaySeconds: alertRetryDelay(msg.attempts) });
      }
    }),
  );
}

/** What the issue's latest revision calls for, if anything. */
export function transitionOf(row: IssueRow): Transition | null {
  if (row.status === "pending" || row.notifiedRevision >= row.revision) return null;
  if (row.status === "resolved") return "resolved";
  return row.notifiedRevision === 0 ? "opened" : "escalated";
}

export type PlanOutcome = "nothing" | "sent" | "silent" | "deferred" | "busy";

/** How long one notifier may hold an issue while it plans it; past it, another (or the cron) takes over. */
export const PLANNING_LEASE_MS = 30_000;

/**
 * Plans the notification the issue's latest transition calls for. One planner per issue at a
 * time (a lease in its row): another one that finds it taken leaves the issue to it, and the
 * holder reads the issue again once done, so a change that arrived meanwhile is not left unsaid.
 */
export async function planIssue(env: Env, config: Config, issueId: string, now: number, depth = 0): Promise<PlanOutcome> {
  const db = createDb(env.DB);
  const row = await db.select().from(issues).where(eq(issues.id, issueId)).get();
  if (!row) return "nothing";
  const transition = transitionOf(row);
  if (!transition) return "nothing";
  if (row.planningUntil !== null && row.planningUntil > now) return "busy";
  const spec = KINDS[row.kind];
  // Recorded as announced without a notification: an informational issue's quiet end, an acknowledged issue's growth.
  const silent = (transition === "resolved" && !spec.resolvedType) || (transition === "escalated" && row.status === "acknowledged");
  if (!silent && transition === "escalated") {
    const due = (row.notifiedAt ?? 0) + config.alertRepeatMs;
    if (now < due) {
      await defer(env, db, row, due, now);
      return "deferred";
    }
  }
  const leased = await db
    .update(issues)
    .set({ planningUntil: now + PLANNING_LEASE_MS })
    .where(and(eq(issues.id, row.id), eq(issues.notifiedRevision, row.notifiedRevision), or(isNull(issues.planningUntil), lte(issues.planningUntil, now))))
    .returning({ id: issues.id });
  if (!leased.length) return "busy";
  if (!silent) {
    const notification = notificationFor(row, transition, now);
    const targets = await recipients(db, row);
    // Queued before the issue is marked: a crash in between sends it again (after the lease), with the same webhook-id.
    for (let i = 0; i < targets.length; i += 100) {
      await env.ALERTS.sendBatch(
        targets
          .slice(i, i + 100)
          .map((t) => ({ body: { kind: "alert_deliver", alert_endpoint_id: t, notification } satisfies AlertMessage, contentType: "json" as const })),
      );
    }
  }
  const [after] = await db
    .update(issues)
    .set({ notifiedRevision: row.revision, notifiedAt: silent ? row.notifiedAt : now, planAt: null, planningUntil: null })
    .where(and(eq(issues.id, row.id), eq(issues.notifiedRevision, row.notifiedRevision)))
    .returning({ revision: issues.revision });
  // Changed while it was being planned (its other planners left it to this one).
  if (after && after.revision > row.revision && depth < 3) await planIssue(env, config, issueId, now, depth + 1);
  return silent ? "silent" : "sent";
}

/** One delayed plan per issue at a time, however many changes ask for one meanwhile. */
async function defer(env: Env, db: Db, row: IssueRow, due: number, now: number): Promise<void> {
  const claimed = await db
    .update(issues)
    .set({ planAt: due })
    .where(and(eq(issues.id, row.id), or(isNull(issues.planAt), lte(issues.planAt, now))))
    .returning({ id: issues.id });
  if (claimed.length) await planNotifications(env, [row.id], Math.min(43_200, Math.ceil((due - now) / 1000)));
}

/**
 * Who receives the issue: the operator's alert endpoints always; a customer's only for its own
 * endpoints and deliveries (kinds `forCustomers`) and never another customer's; each narrowed by
 * its `kinds`.
 */
async function recipients(db: Db, row: IssueRow): Promise<string[]> {
  const spec = KINDS[row.kind];
  const rows = await db
    .select({ id: alertEndpoints.id, kinds: alertEndpoints.kinds })
    .from(alertEndpoints)
    .where(spec.forCustomers ? or(isNull(alertEndpoints.customerId), eq(alertEndpoints.customerId, row.customerId)) : isNull(alertEndpoints.customerId));
  return rows.filter((r) => !r.kinds || r.kinds.includes(row.kind as IssueKind)).map((r) => r.id);
}

/** May this alert endpoint receive this notification? Asked again at send time, as the rows may have changed. */
export function mayReceive(ep: { customerId: string | null; kinds: IssueKind[] | null }, n: Notification): boolean {
  const kind = n.data.issue.kind;
  if (ep.kinds && !ep.kinds.includes(kind)) return false;
  if (ep.customerId === null) return true;
  return ep.customerId === n.data.issue.customer_id && (KINDS[kind]?.forCustomers ?? false);
}

export type DeliverOutcome = "done" | "retry";

async function deliver(env: Env, config: Config, m: Extract<AlertMessage, { kind: "alert_deliver" }>, attempts: number, now: number): Promise<DeliverOutcome> {
  const db = createDb(env.DB);
  const ep = await db.select().from(alertEndpoints).where(eq(alertEndpoints.id, m.alert_endpoint_id)).get();
  if (!ep || !mayReceive(ep, m.notification)) return "done";
  const record = (failure: string | null) =>
    db
      .update(alertEndpoints)
      .set(failure === null ? { lastSuccessAt: now } : { lastFailureAt: now, lastFailure: failure.slice(0, 200) })
      .where(eq(alertEndpoints.id, ep.id));
  const verdict = checkOutboundUrl(ep.url, config.allowLocalUrls);
  if (!verdict.ok) {
    await record(`url ${verdict.reason}`);
    return "done";
  }
  const secret = await decryptJson<string>(config.encryptionKey, ep.secretEnc);
  const failure = await postNotification(verdict.url.toString(), secret, m.notification, now);
  await record(failure);
  if (failure === null) return "done";
  if (attempts >= ALERT_MAX_ATTEMPTS) {
    log("error", "alert notification given up", { alert_endpoint_id: ep.id, notification_id: m.notification.data.notification_id, attempts, failure });
    return "done";
  }
  log("warn", "alert notification failed; retried", { alert_endpoint_id: ep.id, notification_id: m.notification.data.notification_id, attempts, failure });
  return "retry";
}

/** One signed POST; null when the endpoint answered 2xx, else why not (a status, an error kind). */
export async function postNotification(url: string, secret: string, n: Notification, now: number): Promise<string | null> {
  const body = JSON.stringify(n);
  const id = n.data.notification_id;
  const timestamp = Math.floor(now / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader({ schemes: ["v1"], secrets: [secret], signingKeys: [] }, id, timestamp, body),
  };
  try {
    const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(ALERT_TIMEOUT_MS) });
    await res.body?.cancel().catch(() => {});
    return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`;
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    return name === "TimeoutError" || name === "AbortError" ? "timeout" : "connect";
  }
}

/** The cron's sweep: transitions whose announcement was lost (a queue send that failed, a crash), bounded per run. */
export async function replanMissed(env: Env, now: number, limit = 100): Promise<number> {
  const rows = await env.DB.prepare(
    `SELECT id FROM issues WHERE status <> 'pending' AND revision > notified_revision AND (plan_at IS NULL OR plan_at <= ?1)
        AND (planning_until IS NULL OR planning_until <= ?1) AND revised_at <= ?1 - 60000 ORDER BY revised_at LIMIT ?2`,
  )
    .bind(now, limit)
    .all<{ id: string }>();
  await planNotifications(
    env,
    rows.results.map((r) => r.id),
  );
  return rows.results.length;
}
