/** What crosses the RPC boundary between callers (consumer, cron, admin API) and a CaseObject. */
import type { IndexWrite } from "../db/index-writes";
import type { Attempt, Delivery, Envelope, ReceiptOutcome } from "../domain";
import type { ContextInput } from "./context";

export type CaseKey = { sourceId: string; caseId: string };

/** A case's object is named by its source and the provider's case id; source ids hold no colon. */
export const caseObjectName = (k: CaseKey) => `${k.sourceId}:${k.caseId}`;

export function caseKeyOf(name: string | undefined): CaseKey {
  const at = name?.indexOf(":") ?? -1;
  if (!name || at < 1) throw new Error("a case object is addressed by name, source_id:case_id");
  return { sourceId: name.slice(0, at), caseId: name.slice(at + 1) };
}

/** One accepted webhook, as the INBOX queue carries it to its case. */
export type ReceiptInput = {
  id: string;
  dedupeKey: string;
  subject: string;
  /** As the webhook claims it; used only when the source authenticates its webhooks. */
  version: string | null;
  providerEventId: string | null;
  providerEventType: string;
  receivedAt: number;
  bodySha256: string;
  /** The redacted body as JSON text; null when ingest stashed it in the case object (too big for a message). */
  body: string | null;
};

/** A body too big for a queue message, stored in its case object by ingest before the ack. */
export type StashInput = Omit<ReceiptInput, "body"> & { body: string };

export type ReceiptResult = {
  receiptId: string;
  /** retry: not decided yet (the provider API keeps failing), the queue brings it back; duplicate: counted on `duplicateOf`. */
  outcome: ReceiptOutcome | "duplicate" | "retry";
  reason: string | null;
  detail: string | null;
  eventId: string | null;
  duplicateOf: string | null;
};

export type ProcessInput = {
  receipts: ReceiptInput[];
  context: ContextInput;
  /** Delivery attempt of the queue messages (1 on the first). */
  attempt: number;
};

export type ProcessResult = {
  results: ReceiptResult[];
  /** What D1's index should know: the consumer writes it with the rest of its batch. */
  index: IndexWrite[];
};

export type ReconcileResult = {
  /** due: refetched; not_due: recent activity; skipped: no API, or the source is gone; failed: the provider API failed. */
  checked: "due" | "not_due" | "skipped" | "failed";
  /** When the cron should ask again. */
  nextCheckAt: number;
  outcome: ReceiptResult["outcome"] | null;
  eventId: string | null;
  /** A code and a safe message when the refetch failed. */
  error: { reason: string; detail: string } | null;
};

/** An event as the API shows it. */
export type EventRecord = {
  id: string;
  customerId: string;
  sourceId: string;
  caseId: string;
  sequence: number;
  type: Envelope["type"];
  status: Envelope["data"]["status"];
  receiptId: string;
  createdAt: number;
  payload: Envelope;
};

export type DeliveryRecord = Delivery & { event_id: string; sequence: number };

export type ReceiptRecord = {
  id: string;
  kind: "webhook" | "reconcile";
  event_type: string;
  provider_event_id: string | null;
  version: string | null;
  received_at: string;
  outcome: ReceiptOutcome;
  reason: string | null;
  detail: string | null;
  event_id: string | null;
  duplicate_count: number;
  duplicates: { id: string; received_at: string }[];
  /** The body as received, credentials stripped; null once retention purged it. */
  body: unknown;
};

export type CaseTrail = {
  /** False for a case the object has never recorded (or retention left nothing of). */
  exists: boolean;
  status: Envelope["data"]["status"] | null;
  sequence: number;
  terminal: boolean;
  /** Newest first. */
  receipts: ReceiptRecord[];
  /** By sequence. */
  events: EventRecord[];
  /** Every event's deliveries (first attempts, retries, replays), in event order. */
  deliveries: DeliveryRecord[];
};

export type EventDetail = { event: EventRecord; deliveries: DeliveryRecord[] };

export type ReplayResult = { ok: true; deliveries: DeliveryRecord[] } | { ok: false; error: "event_not_found" | "endpoint_not_found" };

export type RecoverResult = { requeued: string[]; unknown: string[] };

export type AttemptList = { delivery: DeliveryRecord; attempts: Attempt[] } | null;
