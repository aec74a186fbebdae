/**
 * Greenhouse Recruiting (ATS): `{ action, payload: { application: { id, status, ... } } }` (offer
 * events: `payload.application_id`); the Signature header is "sha256 <hex HMAC-SHA256 of the body
 * as sent>" (their JSON escapes Unicode, so only the raw bytes verify); each delivery carries
 * Greenhouse-Event-ID; 6 retries over 15 h. Saving a web hook sends a ping that must be answered
 * 200. Refetch: Harvest GET /v1/applications/{id}, Basic auth with the token as the username.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { credential } from "./config-shape";
import { SecretSchema } from "./schemes";
import { signatureSpec, verifySignature } from "./signatures";
import { basicAuthorization, BaseUrlSchema, contentHash, dedupeKey, eventTypeFor, fetchState, HeaderValueSchema, issues, TERMINAL } from "./shared";
import { firstText, isRecord, lookup, type Json } from "../lib/json";
import type { InboundRequest, ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  /** The web hook's secret key. */
  secret: SecretSchema,
  /**
   * event_id: Greenhouse-Event-ID, "a unique id associated with this delivery"; whether a retry
   * repeats it is not documented, so content (action, application, last activity, body) is the fallback.
   */
  dedupe: z.enum(["event_id", "content"]).default("event_id"),
  api: z
    .strictObject({
      base_url: BaseUrlSchema.default("https://harvest.greenhouse.io"),
      /** A Harvest API token. */
      api_key: credential(HeaderValueSchema.min(1).max(500)),
    })
    .optional(),
});
export type GreenhouseConfig = z.output<typeof ConfigSchema>;

const SIGNATURE = signatureSpec({ header: "signature", format: "scheme_word" });

const Id = z.union([z.string().min(1), z.number()]).transform(String);

const Envelope = z.looseObject({
  action: z.string().min(1),
  payload: z.looseObject({
    application: z.looseObject({ id: Id, last_activity_at: z.string().nullish() }).nullish(),
    /** Offer events name their application by id, offer_deleted inside its offer. */
    application_id: Id.nullish(),
    offer: z.looseObject({ application_id: Id.nullish() }).nullish(),
  }),
});

const STATUS: Record<string, Status> = {
  active: "in_progress",
  hired: "completed",
  rejected: "completed",
  converted: "completed", // a prospect who became a candidate: this prospect application is done
};

const CREATED = new Set(["new_candidate_application", "new_prospect_application"]);
/** Actions whose payload may lack the application's status (hire_candidate's example has none). */
const IMPLIED: Record<string, string> = { hire_candidate: "hired", reject_candidate: "rejected" };

const PING_MAX_CHARS = 16_384;

/**
 * The ping sent when a web hook is saved: its payload ("some configuration settings") is not
 * documented, so a body with action "ping" or with no action at all is taken for one.
 */
function isPing(rawBody: string): boolean {
  // A ping is a few settings; events can be large, and are parsed by ingest anyway.
  if (rawBody.length > PING_MAX_CHARS) return false;
  try {
    const json: unknown = JSON.parse(rawBody);
    return isRecord(json) && (json.action === "ping" || json.action === undefined);
  } catch {
    return false;
  }
}

export const greenhouse: ProviderAdapter<GreenhouseConfig> = {
  name: "greenhouse",
  configSchema: ConfigSchema,
  example: {
    secret: "example-greenhouse-secret-key",
    dedupe: "event_id",
    api: { base_url: "https://harvest.greenhouse.io", api_key: "example-harvest-api-token" },
  },

  verify: (req, config) => verifySignature(req, SIGNATURE, config.secret),

  /** The ping: 200 when signed with the secret; otherwise ingest goes on and answers the ordinary 401. */
  async handshake(req, config) {
    if (req.method !== "POST" || !isPing(req.rawBody)) return null;
    const inbound: InboundRequest = { headers: req.headers, rawBody: req.rawBody, json: null, now: req.now };
    return (await verifySignature(inbound, SIGNATURE, config.secret)).ok
      ? { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' }
      : null;
  },

  parse(req, config) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const { action, payload } = parsed.data;
    const caseId = payload.application?.id ?? payload.application_id ?? payload.offer?.application_id ?? null;
    if (!caseId) return { ok: false, issues: [{ path: "payload.application.id", message: "Required: events are relayed per application" }] };
    const version = payload.application?.last_activity_at ?? null;
    const eventId = req.headers.get("greenhouse-event-id");
    return {
      ok: true,
      event: {
        caseId,
        // The payload as received: the parsed one has its ids turned into text.
        dedupeKey:
          config.dedupe === "event_id" && eventId ? dedupeKey([eventId]) : dedupeKey([action, caseId, version, contentHash((req.json as Json).payload)]),
        providerEventId: eventId,
        eventType: action,
        version,
        subject: "case",
        body: req.json,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined,

  refetch: async ({ config, http }, caseId) =>
    config.api
      ? fetchState(
          http,
          `${config.api.base_url}/v1/applications/${encodeURIComponent(caseId)}`,
          { authorization: basicAuthorization(config.api.api_key) },
          "Greenhouse Harvest /v1/applications",
        )
      : { kind: "none" },

  normalize({ event, state, verified }) {
    const body: Json = isRecord(event.body) ? event.body : {};
    const payload = isRecord(body.payload) ? body.payload : {};
    const application = verified ? state : payload.application;
    const raw = firstText(application, "status") ?? (verified ? null : (lookup(IMPLIED, event.eventType) ?? null));
    const stage = isRecord(application) ? firstText(application.current_stage, "name") : null;
    const status: Status = event.eventType === "delete_application" ? "deleted" : ((raw ? lookup(STATUS, raw.toLowerCase()) : undefined) ?? "in_progress");
    return {
      type: eventTypeFor(status, { check: false, created: CREATED.has(event.eventType) }),
      status,
      provider_status: raw ? (stage ? `${raw} / ${stage}` : raw) : null,
      check: null,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
