/**
 * KeldairHR, an ATS: `{ id, type, version, dateOccurred, data }`; signed webhooks
 * (Standard Webhooks by default, or another configured scheme); retries for 24 h; no documented
 * API, so events are forwarded with `verified: false` unless a refetch template is configured.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { StandardWebhooksSecretSchema, verifyWith, VerifySchema } from "./schemes";
import { eventTypeFor, issues, JsonPointerSchema, refetchTemplate, RefetchTemplateSchema, TERMINAL, caseEventById } from "./shared";
import { jsonPointer, text } from "../lib/json";
import type { ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  /** `{ secret }` alone means Standard Webhooks. */
  verify: z.union([
    VerifySchema,
    z.strictObject({ secret: StandardWebhooksSecretSchema }).transform((v) => ({ scheme: "standard_webhooks" as const, secret: v.secret })),
  ]),
  case_id_pointer: JsonPointerSchema.default("/data/id"),
  refetch: RefetchTemplateSchema.optional(),
});
export type KeldairConfig = z.output<typeof ConfigSchema>;

const Envelope = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  type: z.string().min(1),
  dateOccurred: z.string().nullish(),
  data: z.unknown(),
});

function statusOf(type: string): Status {
  if (type.endsWith(".created")) return "pending";
  if (type.endsWith(".deleted")) return "deleted";
  return "in_progress";
}

export const keldair: ProviderAdapter<KeldairConfig> = {
  name: "keldair",
  configSchema: ConfigSchema,
  example: {
    verify: { secret: "whsec_Y2FzZXJlbGF5LWV4YW1wbGUtc2lnbmluZy1rZXk=" },
    case_id_pointer: "/data/id",
    refetch: { url: "https://api.keldair.example/applicants/{case_id}", headers: { authorization: "Bearer example-keldair-api-token" } },
  },

  verify: (req, config) => verifyWith(req, config.verify),

  parse(req, config) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const caseId = text(jsonPointer(req.json, config.case_id_pointer));
    if (!caseId) return { ok: false, issues: [{ path: config.case_id_pointer.slice(1).replace(/\//g, "."), message: "Required: the case id" }] };
    const e = parsed.data;
    return caseEventById(req.json, e, caseId, e.dateOccurred ?? null);
  },

  canRefetch: (config) => config.refetch !== undefined,

  refetch: async ({ config, http }, caseId) => (config.refetch ? refetchTemplate(http, config.refetch, caseId) : { kind: "none" }),

  normalize({ event }) {
    const status = statusOf(event.eventType);
    return {
      type: eventTypeFor(status, { check: false, created: event.eventType.endsWith(".created") }),
      status,
      provider_status: event.eventType,
      check: null,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
