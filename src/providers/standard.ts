/**
 * Any other provider: a configured verification scheme, JSON pointers to the fields caserelay
 * needs, an optional status map, an optional refetch template and the activation handshakes it
 * makes, so a vendor without an adapter is connected by configuration alone.
 */
import { z } from "zod";
import { STATUSES } from "../domain";
import { answerHandshake, HandshakeSchema } from "./handshakes";
import { verifyWith, VerifySchema } from "./schemes";
import { SignatureVerify, verifySignature } from "./signatures";
import { contentHash, dedupeKey, eventTypeFor, JsonPointerSchema, refetchTemplate, RefetchTemplateSchema, TERMINAL } from "./shared";
import { jsonPointer, lookup, text } from "../lib/json";
import type { ProviderAdapter } from "./types";

/** The shared schemes, and `signature`: timestamped lists, scheme words, content built from headers. */
const StandardVerify = z.discriminatedUnion("scheme", [...VerifySchema.options, SignatureVerify]);

const ConfigSchema = z.strictObject({
  verify: StandardVerify,
  fields: z.strictObject({
    case_id: JsonPointerSchema,
    event_id: JsonPointerSchema.optional(),
    type: JsonPointerSchema.optional(),
    version: JsonPointerSchema.optional(),
    /** Read from the refetched state when there is one, else from the body. */
    status: JsonPointerSchema.optional(),
    group: JsonPointerSchema.optional(),
  }),
  /** Provider status value → caserelay status; unmapped values are in_progress. */
  status_map: z.record(z.string().max(100), z.enum(STATUSES)).default({}),
  refetch: RefetchTemplateSchema.optional(),
  handshake: HandshakeSchema.optional(),
});
export type StandardConfig = z.output<typeof ConfigSchema>;

const pathOf = (pointer: string) => pointer.slice(1).replace(/\//g, ".") || "(root)";

export const standard: ProviderAdapter<StandardConfig> = {
  name: "standard",
  configSchema: ConfigSchema,
  example: {
    verify: {
      scheme: "hmac",
      header: "x-signature",
      algorithm: "sha256",
      encoding: "hex",
      prefix: "sha256=",
      secret: "example-hmac-secret-key",
      timestamp_header: "x-timestamp",
    },
    fields: { case_id: "/data/case_id", event_id: "/id", type: "/type", version: "/occurred_at", status: "/data/status", group: "/data/package" },
    status_map: { clear: "completed", consider: "action_required", canceled: "canceled" },
    refetch: { url: "https://api.vendor.example/cases/{case_id}", headers: { authorization: "Bearer example-vendor-api-token" } },
    handshake: {
      echo_header: "x-hook-secret",
      get_challenge: { param: "challenge", verify_token: { param: "verify_token", tokens: ["example-verify-token"] } },
    },
  },

  verify: (req, config) => (config.verify.scheme === "signature" ? verifySignature(req, config.verify, config.verify.secret) : verifyWith(req, config.verify)),

  handshake: async (req, config) => (config.handshake ? answerHandshake(req, config.handshake) : null),

  parse(req, config) {
    if (typeof req.json !== "object" || req.json === null) return { ok: false, issues: [{ path: "(root)", message: "Expected a JSON object or array" }] };
    const { fields } = config;
    const read = (p: string | undefined) => (p === undefined ? null : text(jsonPointer(req.json, p)));
    const caseId = read(fields.case_id);
    if (!caseId) return { ok: false, issues: [{ path: pathOf(fields.case_id), message: "Required: the case id" }] };
    const eventId = read(fields.event_id);
    if (fields.event_id && !eventId) return { ok: false, issues: [{ path: pathOf(fields.event_id), message: "Required: the event id" }] };
    const type = read(fields.type) ?? "event";
    const version = read(fields.version);
    return {
      ok: true,
      event: {
        caseId,
        dedupeKey: eventId ? dedupeKey([eventId]) : dedupeKey([type, caseId, version, contentHash(req.json)]),
        providerEventId: eventId,
        eventType: type,
        version,
        subject: "case",
        body: req.json,
      },
    };
  },

  canRefetch: (config) => config.refetch !== undefined,

  refetch: async ({ config, http }, caseId) => (config.refetch ? refetchTemplate(http, config.refetch, caseId) : { kind: "none" }),

  normalize({ event, state }, config) {
    const read = (p: string | undefined) => (p === undefined ? null : (text(jsonPointer(state, p)) ?? text(jsonPointer(event.body, p))));
    const raw = read(config.fields.status);
    const status = (raw !== null ? lookup(config.status_map, raw) : undefined) ?? (event.eventType.endsWith(".deleted") ? "deleted" : "in_progress");
    return {
      type: eventTypeFor(status, { check: false, created: event.eventType.endsWith(".created") }),
      status,
      provider_status: raw,
      check: null,
      terminal: TERMINAL.has(status),
      group: read(config.fields.group),
    };
  },
};
