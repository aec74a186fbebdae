/** What crosses the RPC boundary between the queue consumers / cron and a CaseObject. */
import type { Delivery, Envelope, EventType, Status } from "../domain";
import type { Attempt } from "../domain";

export type CaseKey = { sourceId: string; caseId: string; customerId: string };

/** The CaseObject for a case is named by source and case id. */
export const caseObjectName = (k: Pick<CaseKey, "sourceId" | "caseId">) => `${k.sourceId}:${k.caseId}`;

export type ReceiptInput = {
  id: string;
  subject: string;
  version: string | null;
  eventType: string;
  providerEventId: string | null;
  receivedAt: number;
  /** Redacted body as JSON text. */
  body: string;
};

/** An event as stored in D1 (events table). */
export type StoredEvent = {
  id: string;
  customerId: string;
  sourceId: string;
  caseId: string;
  sequence: number;
  type: EventType;
  status: Status;
  groupId: string | null;
  receiptId: string;
  payload: Envelope;
  deliveries: Delivery[];
  createdAt: number;
};

export type ReceiptResult = {
  receiptId: string;
  /** retry: not processed (provider API unavailable); the queue will bring the receipt back. */
  outcome: "forwarded" | "stale" | "unchanged" | "failed" | "retry";
  detail: string | null;
  eventId: string | null;
};

/** Endpoint health observed while sending, applied to D1 by the caller. */
export type HealthChange =
  | { endpointId: string; kind: "success" | "failure"; at: number }
  | { endpointId: string; kind: "disable"; at: number; reason: string };

/**
 * What D1 knows of a case, read by the caller in the round trip it makes anyway and handed to the
 * object, which uses it only when it has no state in memory (D1 is the case's record; the object
 * writes no storage of its own).
 */
export type CaseSnapshot = {
  /** Receipts already processed: forwarded (eventId set) or with an outcome. */
  receipts: { id: string; subject: string; version: string | null; receivedAt: number; outcome: string | null; eventId: string | null }[];
  latest: { sequence: number; payload: Envelope; createdAt: number } | null;
  terminal: boolean;
  /** Highest sequence of events retention already deleted. */
  lastSequence: number;
};

export type ProcessResult = {
  receipts: ReceiptResult[];
  /** Events to store: computed by this call, or by an earlier one for a receipt handed over again. */
  events: StoredEvent[];
  /** The case row the reconcile cron reads; written only when it changes. */
  caseRow: { terminal: boolean; reconcileAfterSeconds: number };
  health: HealthChange[];
};

export type ReconcileResult = ProcessResult & {
  /** due: refetched; not_due: had activity recently; skipped: the source has no API or is gone. */
  checked: "due" | "not_due" | "skipped";
  nextCheckAt: number;
  /** The synthetic receipt standing for this reconcile run, when it produced an event. */
  receipt: { id: string; receivedAt: number } | null;
};

export type DeliverInput = {
  key: CaseKey;
  deliveryId: string;
  endpointId: string;
  replay: boolean;
  /** Attempts already made; this call makes attempt number attemptsMade + 1. */
  attemptsMade: number;
  event: Pick<StoredEvent, "id" | "sequence" | "payload">;
};

export type DeliverResult = {
  outcome: "succeeded" | "retry" | "gone" | "superseded" | "held" | "no_endpoint";
  attempt: Attempt | null;
  retryAfterSeconds: number | null;
  health: HealthChange[];
};
