/** caserelay: one Worker for ingest, the admin API, the queue consumers, the per-case object and the cron. */
import { createApp } from "./http/app";
import { runCron } from "./cron";
import { count, withMetrics } from "./lib/metrics";
import { handleDeadLetters } from "./pipeline/dead-letter";
import { handleDeliveries } from "./pipeline/delivery";
import { handleInbox } from "./pipeline/inbox";
import type { DeliveryMessage, QueueMessage, ReceiptMessage } from "./pipeline/messages";

export { CaseObject } from "./pipeline/case-object";

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

  async queue(batch, rawEnv, ctx) {
    const started = Date.now();
    count("consumerInvocations");
    const env = withMetrics(rawEnv);
    try {
      // wrangler.toml: every dead-letter queue's name ends in "-dlq".
      if (batch.queue.endsWith("-dlq")) return await handleDeadLetters(batch, env);
      const kind = batch.messages[0]?.body.kind;
      if (kind === "receipt") await handleInbox(batch as MessageBatch<ReceiptMessage>, env);
      else if (kind === "delivery") await handleDeliveries(batch as MessageBatch<DeliveryMessage>, env);
      else batch.retryAll({ delaySeconds: 60 });
    } finally {
      count("workerWallMs", Date.now() - started);
    }
  },

  async scheduled(controller, env, ctx) {
    count("workerRequests");
    await runCron(withMetrics(env), ctx, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env, QueueMessage>;
