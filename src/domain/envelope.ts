/**
 * The forwarded envelope, as one zod schema: the case object builds every envelope
 * through it (src/case/decide.ts), the admin API shows events with it, and the OpenAPI document
 * describes each event type with it under `webhooks` (src/http/v1/event-types/webhooks.ts), so what
 * receivers are told is what they get. The `Envelope` type is inferred from it.
 */
import { z } from "@hono/zod-openapi";
import { EVENT_TYPES, STATUSES, TRIGGER_KINDS, type EventType } from "../domain";

const Instant = z.iso.datetime({ offset: true }).openapi({ example: "2026-11-22T10:00:00.000Z" });

export const CheckSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    status: z.enum(STATUSES),
    provider_status: z.string().nullable(),
  })
  .openapi("Check", { description: "One service, check or verification step inside a case (check.updated events)." });

export const TriggerSchema = z
  .object({
    kind: z.enum(TRIGGER_KINDS).openapi({
      description:
        "`webhook`: a provider's webhook; `reconcile`: found by the relay's periodic refetch; `replay`: an operator's replay (same `webhook-id` and `sequence`); `test`: an endpoint test send (`sequence` 0, no case).",
    }),
    provider_event_type: z.string().nullable(),
    provider_event_id: z.string().nullable(),
    received_at: Instant.nullable(),
  })
  .openapi("Trigger");

export const EnvelopeDataSchema = z
  .object({
    event_id: z.string().openapi({ description: "The same as the `webhook-id` header, on every retry and replay.", example: "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6" }),
    provider: z.string().openapi({ example: "karmacheck" }),
    source_id: z.string(),
    case_id: z.string(),
    sequence: z.number().int().min(0).openapi({ description: "Per case: 1, 2, 3, ...; a higher one is always newer. 0 only for a test send, never a case's." }),
    status: z.enum(STATUSES),
    provider_status: z.string().nullable(),
    check: CheckSchema.nullable(),
    trigger: TriggerSchema,
    verified: z
      .boolean()
      .openapi({ description: "`state` was refetched from the provider's API after the webhook arrived; false when the provider has none." }),
    state: z.unknown().openapi({ description: "The refetched provider entity, credentials stripped (or the webhook body when `verified` is false)." }),
  })
  .openapi("EnvelopeData");

export const EnvelopeSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    timestamp: Instant.openapi({ description: "When the relay recorded the event (not when it is delivered)." }),
    data: EnvelopeDataSchema,
  })
  .openapi("Envelope", { description: "Exactly what endpoints receive as the request body." });

export type Envelope = z.infer<typeof EnvelopeSchema>;
export type Check = z.infer<typeof CheckSchema>;
export type Trigger = z.infer<typeof TriggerSchema>;

/** The event catalog: what each type means, and an example of it. */
export const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  "case.created": 'The provider announced a new case (its own "created" event).',
  "case.updated": "A case changed and is still open, or its change fits no other type (an ATS `applicant.hired` is one).",
  "case.completed": "The case reached a final result (`status: completed`).",
  "case.canceled": "The case was canceled before it completed.",
  "case.deleted": "The provider deleted the case.",
  "check.updated": "One service, check or verification step inside a case changed; `data.check` says which.",
};

const pascal = (type: EventType) => type.replace(/(^|\.)([a-z])/g, (_, _dot: string, c: string) => c.toUpperCase());

/** Per event type, the envelope with its `type` fixed: each `webhooks` entry's body, and what test deliveries are validated against. */
export const WEBHOOK_SCHEMAS = Object.fromEntries(
  EVENT_TYPES.map((type) => [
    type,
    EnvelopeSchema.extend({ type: z.literal(type) }).openapi(`${pascal(type)}Event`, { description: EVENT_DESCRIPTIONS[type] }),
  ]),
) as unknown as { [T in EventType]: z.ZodType<Envelope & { type: T }> };

const EXAMPLE_STATUS: Record<EventType, { status: Envelope["data"]["status"]; provider_status: string; provider_event_type: string }> = {
  "case.created": { status: "pending", provider_status: "Pending / Waiting for Authorization", provider_event_type: "case.created" },
  "case.updated": { status: "in_progress", provider_status: "Pending / Authorization in Progress", provider_event_type: "case.statuschange" },
  "case.completed": { status: "completed", provider_status: "Complete", provider_event_type: "case.statuschange" },
  "case.canceled": { status: "canceled", provider_status: "Pending / Canceled", provider_event_type: "case.statuschange" },
  "case.deleted": { status: "deleted", provider_status: "deleted", provider_event_type: "case.deleted" },
  "check.updated": { status: "in_progress", provider_status: "Pending / Authorization in Progress", provider_event_type: "casedata.statuschange" },
};

/** An example of each type, as a KarmaCheck case would produce it (the catalog's and test sends' body). */
export function exampleEnvelope(type: EventType, at = Date.UTC(2026, 10, 22, 10)): Envelope {
  const e = EXAMPLE_STATUS[type];
  const check = type === "check.updated" ? { id: "svc-7", name: "County Criminal Search", status: "completed" as const, provider_status: "clear" } : null;
  const timestamp = new Date(at).toISOString();
  return {
    type,
    timestamp,
    data: {
      event_id: "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6",
      provider: "karmacheck",
      source_id: "src_01JD3ZQ7W8X9Y0A1B2C3D4E5F6",
      case_id: "d0ca736f-4a43-4c3e-9d58-0b8f3c0c5e2a",
      sequence: 3,
      status: e.status,
      provider_status: e.provider_status,
      check,
      trigger: {
        kind: "webhook",
        provider_event_type: e.provider_event_type,
        provider_event_id: "9f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        received_at: timestamp,
      },
      verified: true,
      state: { id: "d0ca736f-4a43-4c3e-9d58-0b8f3c0c5e2a", caseStatus: e.provider_status.split(" / ")[0], modStamp: timestamp, groupProfileId: "group-1" },
    },
  };
}
