/** Schemas shared by several admin routes. */
import { z } from "@hono/zod-openapi";
import { ATTEMPT_ERROR_KINDS, DELIVERY_STATUSES, EVENT_TYPES, STATUSES, TRIGGER_KINDS } from "../../domain";
import { PROVIDER_NAMES } from "../../providers";

export const idParam = (prefix: string, example: string) =>
  z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9A-Z]{26,32}$`), `must be an id starting with ${prefix}_`)
      .openapi({ param: { name: "id", in: "path" }, example }),
  });

export const CustomerIdField = z.string().regex(/^cus_[0-9A-Z]{26}$/, "must be a customer id (cus_...)").openapi({ example: "cus_01JD3ZQ7W8X9Y0A1B2C3D4E5F6" });
export const SourceIdField = z.string().regex(/^src_[0-9A-Z]{26}$/, "must be a source id (src_...)");
export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T10:00:00.000Z" });

export const CustomerView = z
  .object({ id: z.string(), name: z.string(), created_at: Timestamp })
  .openapi("Customer");

export const ProviderField = z.enum(PROVIDER_NAMES).openapi({ description: "Which adapter verifies, parses and refetches this source's webhooks." });

export const SourceView = z
  .object({
    id: z.string(),
    customer_id: z.string(),
    provider: ProviderField,
    name: z.string(),
    config: z.record(z.string(), z.unknown()).openapi({ description: "The provider config with every credential replaced by \"[redacted]\"." }),
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

export const EndpointStatus = z.enum(["active", "paused", "disabled"]);

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
    error_kind: z.enum(ATTEMPT_ERROR_KINDS).nullable().openapi({ description: "`interrupted`: the relay stopped during the attempt, so its answer is unknown (it is retried)." }),
    flagged: z.boolean(),
  })
  .openapi("Attempt");

export const DeliveryView = z
  .object({
    id: z.string(),
    event_id: z.string(),
    endpoint_id: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    replay: z.boolean(),
    attempt_count: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    last_attempt: AttemptView.nullable(),
  })
  .openapi("Delivery");

export const EnvelopeSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    timestamp: Timestamp,
    data: z.object({
      event_id: z.string(),
      provider: z.string(),
      source_id: z.string(),
      case_id: z.string(),
      sequence: z.number().int(),
      status: z.enum(STATUSES),
      provider_status: z.string().nullable(),
      check: z.object({ id: z.string(), name: z.string().nullable(), status: z.enum(STATUSES), provider_status: z.string().nullable() }).nullable(),
      trigger: z.object({
        kind: z.enum(TRIGGER_KINDS),
        provider_event_type: z.string().nullable(),
        provider_event_id: z.string().nullable(),
        received_at: z.string().nullable(),
      }),
      verified: z.boolean(),
      state: z.unknown(),
    }),
  })
  .openapi("Envelope", { description: "Exactly what endpoints receive as the request body." });

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
