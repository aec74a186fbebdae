/** The vocabulary every layer shares: statuses, event types, and the forwarded envelope. */

/** A source's defaults: refetch an open case quiet for 6 hours; flag a source silent for a day. */
export const DEFAULT_RECONCILE_AFTER_SECONDS = 21_600;
export const DEFAULT_SILENCE_AFTER_SECONDS = 86_400;

export const EVENT_TYPES = [
  "case.created",
  "case.updated",
  "case.completed",
  "case.canceled",
  "case.deleted",
  "check.updated",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const STATUSES = ["pending", "in_progress", "action_required", "completed", "canceled", "deleted"] as const;
export type Status = (typeof STATUSES)[number];

export const TRIGGER_KINDS = ["webhook", "reconcile", "replay"] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export type EndpointFilter = {
  types?: EventType[];
  source_ids?: string[];
  groups?: string[];
};

export type Check = { id: string; name: string | null; status: Status; provider_status: string | null };

export type Trigger = {
  kind: TriggerKind;
  provider_event_type: string | null;
  provider_event_id: string | null;
  received_at: string | null;
};

/** What a customer endpoint receives, signed with Standard Webhooks. */
export type Envelope = {
  type: EventType;
  timestamp: string;
  data: {
    event_id: string;
    provider: string;
    source_id: string;
    case_id: string;
    sequence: number;
    status: Status;
    provider_status: string | null;
    check: Check | null;
    trigger: Trigger;
    verified: boolean;
    state: unknown;
  };
};

/**
 * What became of one accepted receipt. `pending` until its case object decides (or while the
 * provider's API keeps failing); a duplicate is not a receipt of its own but counted on the one it
 * repeats.
 */
export const RECEIPT_OUTCOMES = ["pending", "forwarded", "stale", "unchanged", "failed"] as const;
export type ReceiptOutcome = (typeof RECEIPT_OUTCOMES)[number];

export const DELIVERY_STATUSES = ["pending", "succeeded", "retrying", "failed", "superseded", "held"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** `interrupted`: the relay stopped while the attempt was in flight, so its answer is unknown. */
export const ATTEMPT_ERROR_KINDS = ["timeout", "connect", "tls", "http", "interrupted"] as const;
export type AttemptErrorKind = (typeof ATTEMPT_ERROR_KINDS)[number];

export type Attempt = {
  id: string;
  at: string;
  status_code: number | null;
  duration_ms: number;
  response_excerpt: string | null;
  error_kind: AttemptErrorKind | null;
  /** A 4xx other than 410/429: retried, but probably a bug on the receiving side. */
  flagged: boolean;
};

/** An event bound for one endpoint, as its case object keeps it (inside the event's record). */
export type Delivery = {
  id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  /** An operator's replay: sent even when superseded, as `trigger.kind: "replay"`. */
  replay: boolean;
  created_at: string;
  attempts: Attempt[];
  /** attempts[retry_base] opened the current retry cycle (a recover starts a new one). */
  retry_base: number;
  next_attempt_at: string | null;
  /** Set while an attempt is in flight whose answer later sends depend on (see src/case/sender.ts). */
  in_flight_since: string | null;
  /** The endpoint may have acknowledged it: an attempt was interrupted, so its answer is unknown. */
  maybe_delivered: boolean;
};
