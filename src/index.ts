/** caserelay: one Worker for ingest, the admin API, the queue consumers, the per-case object, the per-endpoint limiter and the cron. */
import { handleAlerts } from "./alerts/notifier";
import { isAlertMessage, type AlertMessage } from "./alerts/messages";
import { CaseObject as CaseObjectClass } from "./case/object";
import { runCron } from "./cron";
import { EndpointLimiter as EndpointLimiterClass } from "./flow/object";
import { createApp } from "./http/app";
import { count, meteredObject, withMetrics } from "./lib/metrics";
import { handleDeadLetters } from "./pipeline/dead-letter";
import { handleInbox } from "./pipeline/inbox";
import type { ReceiptMessage } from "./pipeline/messages";

/** The case object, its entry points counted for the bench (src/lib/metrics.ts). */
export const CaseObject = meteredObject(CaseObjectClass, [
  "process",
  "stash",
  "reconcile",
  "deadLetter",
  "replayReceipt",
  "replayEvent",
  "recover",
  "release",
  "trail",
  "event",
  "attempts",
  "alarm",
  "retainAt",
]);
export type CaseObject = CaseObjectClass;

/** The flow control of one rate-limited endpoint (src/flow/object.ts), counted the same way. */
export const EndpointLimiter = meteredObject(EndpointLimiterClass, ["acquire", "release", "snapshot"]);
export type EndpointLimiter = EndpointLimiterClass;

const app = createApp();

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    count("workerRequests");
    try {
      return await app.fetch(request, withMetrics(env), ctx);
    } finally {
      count("workerWallMs", Date.now() - started);
    }
  },

  async queue(batch, rawEnv, _ctx) {
    const started = Date.now();
    count("consumerInvocations");
    const env = withMetrics(rawEnv);
    try {
      // The ALERTS queue's messages say so themselves; wrangler.toml: the INBOX queue's dead-letter queue is its name plus "-dlq".
      if (batch.messages.length && isAlertMessage(batch.messages[0]!.body)) await handleAlerts(batch as MessageBatch<AlertMessage>, env);
      else if (batch.queue.endsWith("-dlq")) await handleDeadLetters(batch as MessageBatch<ReceiptMessage>, env);
      else await handleInbox(batch as MessageBatch<ReceiptMessage>, env);
    } finally {
      count("workerWallMs", Date.now() - started);
    }
  },

  async scheduled(controller, env, _ctx) {
    count("workerRequests");
    await runCron(withMetrics(env), controller.scheduledTime);
  },
} satisfies ExportedHandler<Env, ReceiptMessage | AlertMessage>;
