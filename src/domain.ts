/** The vocabulary every layer shares: statuses, event types, and the forwarded envelope. */

/** A source's defaults: refetch an open case quiet for 6 hours; flag a source silent for a day. */
export const DEFAULT_RECONCILE_AFTER_SECONDS = 21_600;
export const DEFAULT_SILENCE_AFTER_SECONDS = 86_400;

export const EVENT_TYPES = ["case.created", "case.updated", "case.completed", "case.canceled", "case.deleted", "check.updated"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const STATUSES = ["pending", "in_progress", "action_required", "completed", "canceled", "deleted"] as const;
export type Status = (typeof STATUSES)[number];
/** A case in one of these is closed: reconcile leaves it alone. */
export const TERMINAL: ReadonlySet<Status> = new Set(["completed", "canceled", "deleted"]);

/** `test`: an endpoint test send (POST /v1/endpoints/{id}/test), never a case's event. */
export const TRIGGER_KINDS = ["webhook", "reconcile", "replay", "test"] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export type EndpointFilter = {
  types?: EventType[];
  source_ids?: string[];
  groups?: string[];
};

/** An endpoint's flow control (src/flow): at most `per_second` attempts a second, `max_in_flight` at once. */
export type RateLimit = { per_second?: number; max_in_flight?: number };

/** Standard Webhooks signatures: `v1` HMAC-SHA256 with a shared whsec_ secret, `v1a` ed25519 with a whsk_ key whose whpk_ public key receivers hold. */
export const SIGNATURE_SCHEMES = ["v1", "v1a"] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** Why an open delivery waits without a failed attempt: the endpoint's rate limit, or its cooldown after a throttle answer (429, 502, 504). */
export const DEFER_REASONS = ["rate_limit", "cooldown"] as const;
export type DeferReason = (typeof DEFER_REASONS)[number];

// The envelope and its parts are inferred from its zod schema, the single source (src/domain/envelope.ts).
export type { Check, Envelope, Trigger } from "./domain/envelope";

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
  /**
   * Set while it waits for its endpoint's flow control until `next_attempt_at` (not an attempt, not
   * a failure); the endpoint's later deliveries of the case wait behind it (src/case/sender.ts).
   */
  deferred?: DeferReason;
};

/** An endpoint receives deliveries while active; paused holds them; disabled (410, or days of failures) stops them. */
export const ENDPOINT_STATUSES = ["active", "paused", "disabled"] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/** The conditions the relay raises issues for (src/domain/issues.ts says how each behaves). */
export const ISSUE_KINDS = [
  "source.silent",
  "source.refetch_failing",
  "endpoint.failing",
  "endpoint.disabled",
  "delivery.exhausted",
  "receipt.failed",
  "case.recovered_by_reconcile",
] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];

export const SUBJECT_TYPES = ["source", "endpoint"] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** What the operator sees of an issue. */
export const ISSUE_STATUSES = ["open", "acknowledged", "resolved"] as const;
/** As stored: `pending` is a streak below its threshold, never listed. */
export const STORED_ISSUE_STATUSES = ["pending", ...ISSUE_STATUSES] as const;
export type IssueStatus = (typeof STORED_ISSUE_STATUSES)[number];

/** Who resolved an issue: the relay (its condition cleared) or an operator. */
export const RESOLVERS = ["relay", "operator"] as const;

/** Links in an issue point at what it is about (ids of the same customer as the issue). */
export type IssueRef = { source_id?: string; case_id?: string; event_id?: string; delivery_id?: string; receipt_id?: string };
