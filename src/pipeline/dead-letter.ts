/**
 * The INBOX dead-letter consumer: a receipt that exhausted its retries is recorded as failed by
 * its case object (which keeps it, body included, and tells the index), so an operator sees it and
 * can replay it. A message is acknowledged only once that is done; until then it is retried, and
 * every failed try is logged.
 */
import { caseObject } from "../case/client";
import { caseObjectName } from "../case/types";
import { errorSummary, log } from "../lib/log";
import type { ReceiptMessage } from "./messages";

/** A dead letter that cannot be recorded is tried again later: 5 min doubling to 12 h, for as long as the queue keeps it. */
const retrySeconds = (attempts: number) => Math.min(300 * 2 ** Math.max(0, attempts - 1), 43_200);

export async function handleDeadLetters(batch: MessageBatch<ReceiptMessage>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const m = msg.body;
      const name = caseObjectName({ sourceId: m.source_id, caseId: m.case_id });
      try {
        await caseObject(env, { sourceId: m.source_id, caseId: m.case_id }).deadLetter(m);
        log("error", "receipt dead-lettered", { receipt_id: m.id, source_id: m.source_id, case_id: m.case_id });
        msg.ack();
      } catch (err) {
        log("error", "dead letter not recorded yet", { receipt_id: m.id, case: name, attempts: msg.attempts, error: errorSummary(err) });
        msg.retry({ delaySeconds: retrySeconds(msg.attempts) });
      }
    }),
  );
}
