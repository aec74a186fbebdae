/**
 * SmartRecruiters (ATS): the body names the changed resource and nothing else; the event is in
 * headers (event-name, event-version, event-id, smartrecruiters-timestamp) and `link` is the URL
 * of the resource's current state. smartrecruiters-signature is "v1=<hex>[;v1=<hex>...]" (one per
 * active key), the HMAC-SHA256 of timestamp, body, event-id, event-name, event-version and link
 * joined by ".". Activation echoes X-Hook-Secret; notifications are acknowledged with 202.
 * Refetch follows `link`, only on the configured API host.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { BasicVerify, SecretSchema, TokenVerify, verifyWith } from "./schemes";
import { signatureSpec, verifySignature } from "./signatures";
import { echoHeader } from "./handshakes";
import { BaseUrlSchema, contentHash, dedupeKey, eventTypeFor, fetchState, HeaderValueSchema, TERMINAL } from "./shared";
import { firstText, isRecord, lookup } from "../lib/json";
import { credential } from "./config-shape";
import type { Issue, ProviderAdapter } from "./types";

const ConfigSchema = z
  .strictObject({
    /** Keys made with POST /webhooks-api/v201907/subscriptions/{id}/secret-key; two while one is being replaced. */
    secret: SecretSchema.optional(),
    /** The subscription's callbackAuthentication, when it sends a header or Basic credentials. */
    callback_auth: z.discriminatedUnion("scheme", [TokenVerify, BasicVerify]).optional(),
    api: z
      .strictObject({
        /** Links on another host are never followed. */
        base_url: BaseUrlSchema.default("https://api.smartrecruiters.com"),
        /** Sent as X-SmartToken. */
        api_key: credential(HeaderValueSchema.min(1).max(500)),
      })
      .optional(),
    /**
     * link: the case is the resource `link` names (its path on the API host), so any event type
     * refetches from the case id alone. body: the body's id, for sources without an API.
     */
    case_id: z.enum(["link", "body"]).default("link"),
  })
  .refine((c) => c.secret !== undefined || c.callback_auth !== undefined, { message: "set secret (signature keys) or callback_auth, or both" });
export type SmartRecruitersConfig = z.output<typeof ConfigSchema>;

const SIGNATURE = signatureSpec({
  header: "smartrecruiters-signature",
  format: "pairs",
  signature_key: "v1",
  timestamp_header: "smartrecruiters-timestamp",
  signed: ["timestamp", "body", "header:event-id", "header:event-name", "header:event-version", "header:link"],
});

/** Application and job statuses: a link may name either, and their words do not collide. */
const STATUS: Record<string, Status> = {
  hired: "completed",
  rejected: "completed",
  withdrawn: "canceled",
  filled: "completed",
  cancelled: "canceled",
  canceled: "canceled",
};

/** The URL of an RFC 8288 Link header ("<https://...>; rel=self"), or the bare value. */
function linkUrl(header: string | null): URL | null {
  if (!header) return null;
  const raw = /<([^>]*)>/.exec(header)?.[1] ?? header.split(";")[0]!.trim();
  return URL.canParse(raw) ? new URL(raw) : null;
}

/** The resource a body names: `id`, or the application's job and candidate. */
function bodyId(json: unknown): string | null {
  const id = firstText(json, "id");
  if (id) return id;
  const job = firstText(json, "job_id", "jobId");
  const candidate = firstText(json, "candidate_id", "candidateId");
  return job && candidate ? `${job}/${candidate}` : (candidate ?? job);
}

export const smartrecruiters: ProviderAdapter<SmartRecruitersConfig> = {
  name: "smartrecruiters",
  configSchema: ConfigSchema,
  example: {
    secret: ["example-smartrecruiters-key-new", "example-smartrecruiters-key-old"],
    callback_auth: { scheme: "token", header: "x-relay-token", tokens: ["example-callback-token"] },
    api: { base_url: "https://api.smartrecruiters.com", api_key: "example-smarttoken" },
    case_id: "link",
  },
  ackStatus: 202,

  async verify(req, config) {
    if (config.callback_auth) {
      const verdict = await verifyWith(req, config.callback_auth);
      if (!verdict.ok) return verdict;
    }
    return config.secret ? verifySignature(req, SIGNATURE, config.secret) : { ok: true };
  },

  handshake: async (req) => echoHeader(req, "x-hook-secret"),

  parse(req, config) {
    if (!isRecord(req.json)) return { ok: false, issues: [{ path: "(root)", message: "Expected a JSON object" }] };
    const eventName = req.headers.get("event-name");
    if (!eventName) return { ok: false, issues: [{ path: "headers.event-name", message: "Required: the event's name" }] };
    const link = linkUrl(req.headers.get("link"));
    const onApiHost = link !== null && (!config.api || link.origin === new URL(config.api.base_url).origin);
    // Paths start with "/", body ids do not: refetch tells them apart.
    const caseId = config.case_id === "link" && onApiHost ? `${link.pathname}${link.search}` : bodyId(req.json);
    if (!caseId) {
      const issue: Issue =
        config.case_id === "link"
          ? { path: "headers.link", message: "Required: a link on the API host, or an id in the body" }
          : { path: "id", message: "Required: the resource's id" };
      return { ok: false, issues: [issue] };
    }
    // Only a link may make a path: an id that looked like one would be fetched from the API host.
    if (caseId.startsWith("/") && !(config.case_id === "link" && onApiHost)) return { ok: false, issues: [{ path: "id", message: "must not start with /" }] };
    const eventId = req.headers.get("event-id");
    return {
      ok: true,
      event: {
        caseId,
        // Without an event id, the same notification repeats its name, body and link.
        dedupeKey: eventId ? dedupeKey([eventId]) : dedupeKey([eventName, caseId, contentHash(req.json)]),
        providerEventId: eventId,
        eventType: eventName,
        // smartrecruiters-timestamp is when the notification was signed, not when the resource changed.
        version: null,
        subject: "case",
        body: req.json,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined && config.case_id === "link",

  async refetch({ config, http }, caseId) {
    if (!config.api || !caseId.startsWith("/")) return { kind: "none" };
    return fetchState(http, `${config.api.base_url}${caseId}`, { "x-smarttoken": config.api.api_key }, "SmartRecruiters");
  },

  normalize({ event, state, verified }) {
    const raw = verified ? (firstText(state, "status") ?? (isRecord(state) ? firstText(state.status, "status", "name") : null)) : null;
    const status: Status = event.eventType.endsWith(".deleted") ? "deleted" : ((raw ? lookup(STATUS, raw.toLowerCase()) : undefined) ?? "in_progress");
    return {
      type: eventTypeFor(status, { check: false, created: event.eventType.endsWith(".created") }),
      status,
      provider_status: raw ?? event.eventType,
      check: null,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
