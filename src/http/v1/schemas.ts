/** Schemas shared by several admin routes. */
import { z } from "@hono/zod-openapi";
import { ATTEMPT_ERROR_KINDS, DEFER_REASONS, DELIVERY_STATUSES, ENDPOINT_STATUSES, EVENT_TYPES, SIGNATURE_SCHEMES, STATUSES } from "../../domain";
import { EnvelopeSchema } from "../../domain/envelope";
import { PROVIDER_NAMES } from "../../providers";

export const idParam = (prefix: string, example: string) =>
  z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9A-Z]{26,32}$`), `must be an id starting with ${prefix}_`)
      .openapi({ param: { name: "id", in: "path" }, example }),
  });

export const CustomerIdField = z
  .string()
  .regex(/^cus_[0-9A-Z]{26}$/, "must be a customer id (cus_...)")
  .openapi({ example: "cus_01JD3ZQ7W8X9Y0A1B2C3D4E5F6" });
export const SourceIdField = z.string().regex(/^src_[0-9A-Z]{26}$/, "must be a source id (src_...)");
export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T10:00:00.000Z" });

export const CustomerView = z.object({ id: z.string(), name: z.string(), created_at: Timestamp }).openapi("Customer");

export const ProviderField = z.enum(PROVIDER_NAMES).openapi({ description: "Which adapter verifies, parses and refetches this source's webhooks." });

export const SourceView = z
  .object({
    id: z.string(),
    customer_id: z.string(),
    provider: ProviderField,
    name: z.string(),
    config: z.record(z.string(), z.unknown()).openapi({ description: 'The provider config with every credential replaced by "[redacted]".' }),
    ingest_url: z.string().openapi({ description: "Give this URL to the provider as the webhook URL." }),
    reconcile_after_seconds: z.number().int(),
    silence_after_seconds: z.number().int(),
    last_receipt_at: Timestamp.nullable(),
    silent_since: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Source");

export const FilterSchema = z
  .strictObject({
    types: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional(),
    source_ids: z.array(SourceIdField).min(1).max(100).optional(),
    groups: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
  })
  .openapi("EndpointFilter", { description: "All given lists must match; an omitted list matches everything." });

export const EndpointStatus = z.enum(ENDPOINT_STATUSES);

/** Bounds of an endpoint's rate limit (README: Flow control). */
export const RATE_LIMIT_BOUNDS = { perSecond: { min: 0.1, max: 1000 }, maxInFlight: { min: 1, max: 1000 } } as const;

export const RateLimitSchema = z
  .strictObject({
    per_second: z.number().min(RATE_LIMIT_BOUNDS.perSecond.min).max(RATE_LIMIT_BOUNDS.perSecond.max).optional().openapi({
      description: "At most this many attempts a second, across all the cases delivering to the endpoint, spaced evenly (0.1 to 1000; 0.5 is one every 2 s).",
      example: 10,
    }),
    max_in_flight: z
      .number()
      .int()
      .min(RATE_LIMIT_BOUNDS.maxInFlight.min)
      .max(RATE_LIMIT_BOUNDS.maxInFlight.max)
      .optional()
      .openapi({ description: "At most this many attempts awaiting the endpoint's answer at once (1 to 1000).", example: 5 }),
  })
  .refine((r) => r.per_second !== undefined || r.max_in_flight !== undefined, { message: "set per_second, max_in_flight or both (null removes the limit)" })
  .openapi("RateLimit", {
    description:
      "Attempts beyond the limit wait (they are neither dropped nor counted as failures); per-case order holds. Null: no limit (429, 502 and 504 answers still slow the endpoint down).",
  });

export const SignatureSchemesSchema = z
  .array(z.enum(SIGNATURE_SCHEMES))
  .min(1)
  .max(SIGNATURE_SCHEMES.length)
  .refine((s) => new Set(s).size === s.length, { message: "list each scheme once" })
  .openapi({
    description:
      "How deliveries are signed (Standard Webhooks): `v1` with the shared whsec_ secret, `v1a` (ed25519) with a key whose whpk_ public key is `public_key`, or both.",
    example: ["v1a"],
  });

export const EndpointView = z
  .object({
    id: z.string(),
    customer_id: z.string(),
    url: z.string(),
    description: z.string(),
    filter: FilterSchema,
    status: EndpointStatus,
    disabled_reason: z.string().nullable(),
    failing_since: Timestamp.nullable(),
    previous_secret_expires_at: Timestamp.nullable(),
    signature_schemes: SignatureSchemesSchema,
    public_key: z.string().nullable().openapi({
      description: "The v1a public key (whpk_ + base64 of the raw ed25519 key): verify deliveries with it. Null until the endpoint signs with v1a.",
    }),
    previous_public_key: z
      .string()
      .nullable()
      .openapi({ description: "The public key replaced by the last rotate-signing-key, still signing alongside until previous_signing_key_expires_at." }),
    previous_signing_key_expires_at: Timestamp.nullable(),
    rate_limit: RateLimitSchema.nullable(),
    throttled_until: Timestamp.nullable().openapi({
      description: "The endpoint answered 429, 502 or 504: attempts to it wait until then (its Retry-After within bounds).",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Endpoint");

export const AttemptView = z
  .object({
    id: z.string(),
    at: Timestamp,
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    response_excerpt: z.string().nullable(),
    error_kind: z
      .enum(ATTEMPT_ERROR_KINDS)
      .nullable()
      .openapi({ description: "`interrupted`: the relay stopped during the attempt, so its answer is unknown (it is retried)." }),
    flagged: z.boolean(),
  })
  .openapi("Attempt");

export const TestSendView = z
  .object({
    id: z.string().openapi({ description: "The attempt's id (att_...)." }),
    event_id: z.string().openapi({ description: "The test event's id, sent as webhook-id: no case's event, never stored as one." }),
    type: z.enum(EVENT_TYPES),
    at: Timestamp,
    outcome: z.enum(["succeeded", "failed"]).openapi({ description: "succeeded: the endpoint answered 2xx." }),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    response_excerpt: z.string().nullable().openapi({ description: "The first 4 KB of the endpoint's answer." }),
    error_kind: z.enum(ATTEMPT_ERROR_KINDS).nullable(),
    flagged: z.boolean(),
  })
  .openapi("TestSend");

export const DeliveryView = z
  .object({
    id: z.string(),
    event_id: z.string(),
    endpoint_id: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    replay: z.boolean(),
    attempt_count: z.number().int(),
    deferred: z.enum(DEFER_REASONS).nullable().openapi({
      description:
        "Waiting until `next_attempt_at` for the endpoint's flow control: `rate_limit` (its configured limit) or `cooldown` (it answered 429, 502 or 504). Not a failed attempt.",
    }),
    next_attempt_at: Timestamp.nullable(),
    last_attempt: AttemptView.nullable(),
  })
  .openapi("Delivery");

export const EventSummaryView = z
  .object({
    id: z.string(),
    customer_id: z.string(),
    source_id: z.string(),
    case_id: z.string(),
    sequence: z.number().int(),
    type: z.enum(EVENT_TYPES),
    status: z.enum(STATUSES),
    created_at: Timestamp,
  })
  .openapi("EventSummary", { description: "An event as listed; `GET /v1/events/{id}` returns it with its payload." });

export const EventView = EventSummaryView.extend({ receipt_id: z.string(), payload: EnvelopeSchema }).openapi("Event");
