/**
 * Persona (identity verification): JSON:API events, `data: { type: "event", id: "evt_...",
 * attributes: { name, created-at, payload: { data } } }` where payload.data is the inquiry, or an
 * object of one (a verification, a report) related to its inquiry. Persona-Signature is
 * "t=<unix>,v1=<hex HMAC-SHA256 of t.body>", two space-separated pairs while a secret rotates.
 * Refetch: GET /api/v1/inquiries/{id} with the API key as Bearer token.
 */
import { z } from "zod";
import type { Check, Status } from "../domain";
import { findById } from "./find";
import { SecretSchema } from "./schemes";
import { signatureSpec, verifySignature } from "./signatures";
import { BaseUrlSchema, dedupeKey, eventTypeFor, fetchState, HeaderValueSchema, issues, TERMINAL } from "./shared";
import { firstText, isRecord, lookup, type Json } from "../lib/json";
import { credential } from "./config-shape";
import type { ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  /** The webhook's secret (wbhsec_...); two while it rotates. */
  secret: SecretSchema,
  api: z
    .strictObject({
      base_url: BaseUrlSchema.default("https://api.withpersona.com"),
      api_key: credential(HeaderValueSchema.min(1).max(500)),
      /** Sent as Persona-Version when set; otherwise the account's default API version answers. */
      version: HeaderValueSchema.max(20).optional(),
    })
    .optional(),
});
export type PersonaConfig = z.output<typeof ConfigSchema>;

const SIGNATURE = signatureSpec({ header: "persona-signature", format: "pairs", timestamp_key: "t", signature_key: "v1", signed: ["timestamp", "body"] });

const Ref = z.looseObject({ id: z.string().min(1), type: z.string().nullish() });

const Envelope = z.looseObject({
  data: z.looseObject({
    id: z.string().min(1),
    attributes: z.looseObject({
      name: z.string().min(1),
      "created-at": z.string().nullish(),
      payload: z.looseObject({
        data: z.looseObject({
          id: z.string().min(1),
          type: z.string().nullish(),
          relationships: z.looseObject({ inquiry: z.looseObject({ data: Ref.nullish() }).nullish() }).nullish(),
        }),
      }),
    }),
  }),
});

const INQUIRY: Record<string, Status> = {
  created: "pending",
  pending: "in_progress",
  completed: "completed",
  failed: "completed", // the outcome is in provider_status; the inquiry is over
  expired: "canceled",
  needs_review: "action_required",
  approved: "completed",
  declined: "completed",
};

const VERIFICATION: Record<string, Status> = {
  initiated: "pending",
  submitted: "in_progress",
  passed: "completed",
  failed: "completed",
  confirmed: "completed",
  requires_retry: "action_required",
  canceled: "canceled",
};

const statusOf = (entity: unknown): string | null => (isRecord(entity) ? firstText(entity.attributes, "status") : null);

/** The inquiry in a refetched document ({ data, included }) or a bare one. */
const inquiryOf = (doc: unknown): unknown => (isRecord(doc) && isRecord(doc.data) ? doc.data : doc);

export const persona: ProviderAdapter<PersonaConfig> = {
  name: "persona",
  configSchema: ConfigSchema,
  example: {
    secret: "wbhsec_example-persona-secret",
    api: { base_url: "https://api.withpersona.com", api_key: "persona_sandbox_example-api-key", version: "2023-01-05" },
  },

  verify: (req, config) => verifySignature(req, SIGNATURE, config.secret),

  parse(req) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const { id, attributes } = parsed.data.data;
    const subject = attributes.payload.data;
    const isInquiry = subject.type === "inquiry" || subject.id.startsWith("inq_");
    const inquiryId = isInquiry ? subject.id : (subject.relationships?.inquiry?.data?.id ?? null);
    if (!inquiryId) {
      return { ok: false, issues: [{ path: "data.attributes.payload.data", message: "Required: an inquiry, or an object related to one" }] };
    }
    return {
      ok: true,
      event: {
        caseId: inquiryId,
        dedupeKey: dedupeKey([id]),
        providerEventId: id,
        eventType: attributes.name,
        version: attributes["created-at"] ?? null,
        subject: isInquiry ? "case" : `check:${subject.id}`,
        body: req.json,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined,

  async refetch({ config, http }, caseId) {
    const api = config.api;
    if (!api) return { kind: "none" };
    const headers: Record<string, string> = { authorization: `Bearer ${api.api_key}` };
    if (api.version) headers["persona-version"] = api.version;
    return fetchState(http, `${api.base_url}/api/v1/inquiries/${encodeURIComponent(caseId)}`, headers, "Persona /api/v1/inquiries");
  },

  normalize({ event, state, verified }) {
    const body: Json = isRecord(event.body) ? event.body : {};
    const attributes = isRecord(body.data) && isRecord(body.data.attributes) ? body.data.attributes : {};
    const payload = isRecord(attributes.payload) ? attributes.payload : {};
    const subjectEntity = isRecord(payload.data) ? payload.data : {};
    const isCheck = event.subject.startsWith("check:");
    // Without an API the inquiry's state is known only from an inquiry event's own payload.
    const inquiry = verified ? inquiryOf(state) : isCheck ? null : subjectEntity;
    const raw = statusOf(inquiry);
    const status: Status = (raw ? lookup(INQUIRY, raw.toLowerCase()) : undefined) ?? (event.eventType === "inquiry.created" ? "pending" : "in_progress");
    let check: Check | null = null;
    if (isCheck) {
      const id = event.subject.slice("check:".length);
      const found = (verified ? findById(state, id) : null) ?? subjectEntity;
      const checkRaw = statusOf(found);
      check = {
        id,
        name: firstText(found, "type"),
        status: (checkRaw ? lookup(VERIFICATION, checkRaw.toLowerCase()) : undefined) ?? "in_progress",
        provider_status: checkRaw,
      };
    }
    return {
      type: eventTypeFor(status, { check: isCheck, created: event.eventType === "inquiry.created" }),
      status,
      provider_status: raw,
      check,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
