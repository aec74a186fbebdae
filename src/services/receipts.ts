/**
 * Accepting a verified webhook: one message on the INBOX queue, and only then the provider's 2xx.
 * A message holds 128,000 bytes, counted on the serialized message (a body's quotes and
 * backslashes count twice once escaped), so the decision is made on the message itself: when it
 * would not fit, the body is stashed in its case object first and the message carries the rest.
 */
import { caseObject } from "../case/client";
import type { ReceiptMessage } from "../pipeline/messages";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { failedReceipts, type FailedReceiptRow } from "../db/schema";

/** What a queue message may hold, less room for the queue's own framing. */
export const QUEUE_MESSAGE_BYTES = 128_000 - 1_000;

const encoder = new TextEncoder();

export const messageBytes = (m: ReceiptMessage) => encoder.encode(JSON.stringify(m)).length;

/** Resolves once the receipt is durable (queued, its body stashed if it had to be); throws otherwise. */
export async function enqueueReceipt(env: Env, message: ReceiptMessage): Promise<{ stashed: boolean }> {
  if (message.body === null || messageBytes(message) <= QUEUE_MESSAGE_BYTES) {
    await env.INBOX.send(message, { contentType: "json" });
    return { stashed: false };
  }
  const stub = caseObject(env, { sourceId: message.source_id, caseId: message.case_id });
  await stub.stash({
    id: message.id,
    dedupeKey: message.dedupe_key,
    subject: message.subject,
    version: message.version,
    providerEventId: message.provider_event_id,
    providerEventType: message.event_type,
    receivedAt: message.received_at,
    bodySha256: message.body_sha256,
    body: message.body,
  });
  await env.INBOX.send({ ...message, body: null }, { contentType: "json" });
  return { stashed: true };
}

/** A receipt that could not be processed, if the caller may see it. */
export async function findFailedReceipt(db: Db, id: string, customerId?: string): Promise<FailedReceiptRow | null> {
  const row = await db.select().from(failedReceipts).where(eq(failedReceipts.id, id)).get();
  return row && (!customerId || row.customerId === customerId) ? row : null;
}

/** Processes a failed receipt again, from the body its case object kept. */
export function replayReceipt(env: Env, row: FailedReceiptRow) {
  return caseObject(env, { sourceId: row.sourceId, caseId: row.caseId }).replayReceipt(row.id);
}
