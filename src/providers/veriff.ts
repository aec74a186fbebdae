/**
 * Veriff (identity verification): decision webhooks `{ status, verification: { id, status, code,
 * decisionTime, ... } }`, event webhooks `{ id, attemptId, feature, code, action }`, and newer
 * ones `{ eventType, time, attemptId, data: { verification: { id } } }`; the session is the case.
 * X-HMAC-SIGNATURE is the hex HMAC-SHA256 of the body with the shared secret key; X-AUTH-CLIENT
 * is the integration's API key. Retries about hourly for up to 7 days. Refetch: GET
 * /v1/sessions/{id}/decision, signed with the HMAC of the session id.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { bytesToHex, hmac, timingSafeEqualStrings } from "../lib/crypto";
import { SecretSchema } from "./schemes";
import { signatureSpec, verifySignature } from "./signatures";
import { BaseUrlSchema, dedupeKey, eventTypeFor, fetchState, HeaderValueSchema, TERMINAL } from "./shared";
import { firstText, isRecord, lookup, text, type Json } from "../lib/json";
import { credential } from "./config-shape";
import type { ParseResult, ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  /** The integration's API key: X-AUTH-CLIENT of every webhook, and of every refetch. */
  api_key: credential(HeaderValueSchema.min(1).max(500)),
  /** The shared secret key; two while it rotates (refetches are signed with the first). */
  secret: SecretSchema,
  /** Present to refetch each session's decision. */
  api: z.strictObject({ base_url: BaseUrlSchema.default("https://stationapi.veriff.com") }).optional(),
});
export type VeriffConfig = z.output<typeof ConfigSchema>;

const SIGNATURE = signatureSpec({ header: "x-hmac-signature" });

const DECISION: Record<string, Status> = {
  approved: "completed",
  declined: "completed",
  resubmission_requested: "action_required",
  expired: "canceled",
  abandoned: "canceled",
  review: "in_progress",
};

/** Event webhooks' actions, before there is a decision. */
const ACTION: Record<string, Status> = { created: "pending", started: "in_progress", submitted: "in_progress" };

const missing = (path: string, message: string): ParseResult => ({ ok: false, issues: [{ path, message }] });

export const veriff: ProviderAdapter<VeriffConfig> = {
  name: "veriff",
  configSchema: ConfigSchema,
  example: { api_key: "example-veriff-api-key", secret: "example-veriff-shared-secret", api: { base_url: "https://stationapi.veriff.com" } },

  async verify(req, config) {
    const client = req.headers.get("x-auth-client");
    if (!client) return { ok: false, reason: "missing X-AUTH-CLIENT header" };
    if (!(await timingSafeEqualStrings(client, config.api_key))) return { ok: false, reason: "X-AUTH-CLIENT is not this integration's API key" };
    return verifySignature(req, SIGNATURE, config.secret);
  },

  parse(req) {
    const json = req.json;
    if (!isRecord(json)) return missing("(root)", "Expected a JSON object");
    const attemptId = firstText(json, "attemptId");
    if (isRecord(json.verification)) {
      const v = json.verification;
      const id = firstText(v, "id");
      if (!id) return missing("verification.id", "Required: the session id");
      const status = firstText(v, "status");
      const decisionTime = firstText(v, "decisionTime");
      return {
        ok: true,
        event: {
          caseId: id,
          // No event id: a decision is its session, status, code and time.
          dedupeKey: dedupeKey(["decision", id, firstText(v, "attemptId") ?? attemptId, status, text(v.code), decisionTime]),
          providerEventId: null,
          eventType: `decision.${status ?? "unknown"}`,
          version: decisionTime ?? firstText(v, "acceptanceTime"),
          subject: "case",
          body: json,
        },
      };
    }
    const eventType = firstText(json, "eventType");
    if (eventType) {
      const data = isRecord(json.data) && isRecord(json.data.verification) ? json.data.verification : {};
      const id = firstText(data, "id") ?? firstText(json, "sessionId", "id");
      if (!id) return missing("data.verification.id", "Required: the session id");
      const time = firstText(json, "time");
      return {
        ok: true,
        event: {
          caseId: id,
          dedupeKey: dedupeKey([eventType, id, attemptId, time]),
          providerEventId: null,
          eventType,
          version: time,
          subject: "case",
          body: json,
        },
      };
    }
    const action = firstText(json, "action");
    const id = firstText(json, "id");
    if (!id) return missing("id", "Required: the session id");
    if (!action) return missing("action", "Required: what happened (or a decision's verification)");
    return {
      ok: true,
      event: {
        caseId: id,
        dedupeKey: dedupeKey(["event", id, attemptId, action, text(json.code)]),
        providerEventId: null,
        eventType: `event.${action}`,
        // Event webhooks carry no time.
        version: null,
        subject: "case",
        body: json,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined,

  async refetch({ config, http }, caseId) {
    if (!config.api) return { kind: "none" };
    // GET requests sign the session id, not a body.
    const signature = bytesToHex(await hmac("sha256", new TextEncoder().encode(config.secret[0]!), caseId));
    return fetchState(
      http,
      `${config.api.base_url}/v1/sessions/${encodeURIComponent(caseId)}/decision`,
      { "x-auth-client": config.api_key, "x-hmac-signature": signature },
      "Veriff /v1/sessions/{id}/decision",
    );
  },

  normalize({ event, state, verified }) {
    const body: Json = isRecord(event.body) ? event.body : {};
    // The decision endpoint answers verification: null until there is a decision.
    const decision = (verified ? (isRecord(state) ? state.verification : null) : body.verification) ?? null;
    const raw = firstText(decision, "status");
    const action = firstText(body, "action");
    const status: Status =
      (raw ? lookup(DECISION, raw.toLowerCase()) : undefined) ?? (action ? lookup(ACTION, action.toLowerCase()) : undefined) ?? "in_progress";
    return {
      type: eventTypeFor(status, { check: false, created: action === "created" }),
      status,
      provider_status: raw ?? action,
      check: null,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
