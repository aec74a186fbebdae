/**
 * Sumsub (KYC): `{ applicantId, inspectionId, correlationId, levelName, externalUserId, type,
 * reviewStatus, createdAtMs, reviewResult: { reviewAnswer, rejectLabels, reviewRejectType } }`;
 * X-Payload-Digest is the hex HMAC of the body, with the algorithm in X-Payload-Digest-Alg
 * (SHA-256 unless it says otherwise). Retries 4 times over 18 h. Refetch: GET
 * /resources/applicants/{id}/status signed with X-App-Token, X-App-Access-Ts and X-App-Access-Sig.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { bytesToHex, hmac } from "../lib/crypto";
import { SecretSchema } from "./schemes";
import { signatureSpec, verifySignature, type SignatureSpec } from "./signatures";
import { BaseUrlSchema, dedupeKey, eventTypeFor, fetchState, HeaderValueSchema, issues, TERMINAL } from "./shared";
import { firstText, isRecord, lookup, type Json } from "../lib/json";
import { credential } from "./config-shape";
import type { ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  /** The webhook's secret key. */
  secret: SecretSchema,
  api: z
    .strictObject({
      base_url: BaseUrlSchema.default("https://api.sumsub.com"),
      /** The app token (X-App-Token). */
      token: credential(HeaderValueSchema.min(1).max(500)),
      /** The app token's secret key, which signs each request. */
      secret: credential(z.string().min(1).max(500)),
    })
    .optional(),
});
export type SumsubConfig = z.output<typeof ConfigSchema>;

/** X-Payload-Digest-Alg values: the documented "HMAC_SHA256_HEX" form, and bare names. */
const ALGORITHMS: Record<string, SignatureSpec> = {
  hmac_sha256_hex: signatureSpec({ header: "x-payload-digest", algorithm: "sha256" }),
  sha256: signatureSpec({ header: "x-payload-digest", algorithm: "sha256" }),
  hmac_sha512_hex: signatureSpec({ header: "x-payload-digest", algorithm: "sha512" }),
  sha512: signatureSpec({ header: "x-payload-digest", algorithm: "sha512" }),
};

const Nullable = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v == null ? null : String(v)));

const Envelope = z.looseObject({
  applicantId: z.string().min(1),
  type: z.string().min(1),
  correlationId: Nullable,
  reviewStatus: Nullable,
  createdAtMs: Nullable,
  /** Applicant action webhooks name the action: an event about one check inside the applicant. */
  applicantActionId: Nullable,
});

/** "2021-05-14 16:00:25.032" (UTC, as documented) as ISO 8601, so versions compare as instants. */
function version(createdAtMs: string | null): string | null {
  const m = createdAtMs ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(createdAtMs) : null;
  return m ? `${m[1]}T${m[2]}Z` : createdAtMs;
}

const REVIEW: Record<string, Status> = {
  init: "pending",
  pending: "in_progress",
  prechecked: "in_progress",
  queued: "in_progress",
  awaitingservice: "in_progress",
  onhold: "action_required",
  awaitinguser: "action_required",
  completed: "completed",
};

function reviewStatus(entity: unknown): { status: Status; provider_status: string | null } {
  const raw = firstText(entity, "reviewStatus");
  const result = isRecord(entity) && isRecord(entity.reviewResult) ? entity.reviewResult : {};
  const answer = firstText(result, "reviewAnswer");
  const rejectType = firstText(result, "reviewRejectType");
  let status: Status = (raw ? lookup(REVIEW, raw.toLowerCase()) : undefined) ?? "in_progress";
  // A temporary rejection (RED, RETRY) waits for the applicant to submit again.
  if (status === "completed" && answer === "RED" && rejectType === "RETRY") status = "action_required";
  const provider_status = raw ? [raw, answer, answer === "RED" ? rejectType : null].filter(Boolean).join(" / ") : null;
  return { status, provider_status };
}

export const sumsub: ProviderAdapter<SumsubConfig> = {
  name: "sumsub",
  configSchema: ConfigSchema,
  example: {
    secret: "example-sumsub-webhook-secret",
    api: { base_url: "https://api.sumsub.com", token: "sbx:example-sumsub-app-token", secret: "example-sumsub-app-secret" },
  },

  async verify(req, config) {
    const alg = (req.headers.get("x-payload-digest-alg") ?? "HMAC_SHA256_HEX").trim().toLowerCase();
    const spec = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
    if (!spec) return { ok: false, reason: "X-Payload-Digest-Alg names an algorithm other than HMAC_SHA256_HEX or HMAC_SHA512_HEX" };
    return verifySignature(req, spec, config.secret);
  },

  parse(req) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const e = parsed.data;
    const at = version(e.createdAtMs);
    return {
      ok: true,
      event: {
        caseId: e.applicantId,
        // correlationId is the event's id; without one, what changed and when.
        dedupeKey: e.correlationId ? dedupeKey([e.correlationId]) : dedupeKey([e.type, e.applicantId, e.applicantActionId, e.reviewStatus, at]),
        providerEventId: e.correlationId,
        eventType: e.type,
        version: at,
        subject: e.applicantActionId && e.type.startsWith("applicantAction") ? `check:${e.applicantActionId}` : "case",
        body: req.json,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined,

  async refetch({ config, http }, caseId) {
    const api = config.api;
    if (!api) return { kind: "none" };
    const path = `/resources/applicants/${encodeURIComponent(caseId)}/status`;
    const ts = String(Math.floor(Date.now() / 1000));
    // The signature covers ts + METHOD + path with query + body (none for a GET).
    const sig = bytesToHex(await hmac("sha256", new TextEncoder().encode(api.secret), `${ts}GET${path}`));
    return fetchState(
      http,
      `${api.base_url}${path}`,
      { "x-app-token": api.token, "x-app-access-ts": ts, "x-app-access-sig": sig },
      "Sumsub /resources/applicants/{id}/status",
    );
  },

  normalize({ event, state, verified }) {
    const body: Json = isRecord(event.body) ? event.body : {};
    const isCheck = event.subject.startsWith("check:");
    // Action webhooks' reviewStatus is the action's; the applicant's comes from the API.
    const applicant = verified ? state : isCheck ? {} : body;
    const review = reviewStatus(applicant);
    const status: Status = event.eventType === "applicantDeleted" ? "deleted" : review.status;
    const action = isCheck ? reviewStatus(body) : null;
    return {
      type: eventTypeFor(status, { check: isCheck, created: event.eventType === "applicantCreated" }),
      status,
      provider_status: review.provider_status,
      check: action ? { id: event.subject.slice("check:".length), name: null, status: action.status, provider_status: action.provider_status } : null,
      terminal: TERMINAL.has(status),
      group: firstText(body, "levelName"),
    };
  },
};
