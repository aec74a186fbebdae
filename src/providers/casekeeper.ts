/**
 * Case Keeper: `{ key, data: { id, ... } }`, ~36 keys; webhooks are unauthenticated
 * (optionally a static token), so the body is never trusted and the state is always refetched.
 * Presigned links in bodies expire after 5 minutes. Refetch: OAuth client credentials, then
 * GET /api/v3/case-keeper/verifications/{id}.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { SharedSecretSchema, verifyToken } from "./schemes";
import { BaseUrlSchema, contentHash, dedupeKey, eventTypeFor, issues, TERMINAL } from "./shared";
import { withoutUrlQueries } from "../lib/urls";
import { firstText, isRecord, lookup } from "../lib/json";
import { credential } from "./config-shape";
import { RefetchError, type ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  /** Optional static token sent by Case Keeper in `token_header`. */
  token: SharedSecretSchema.optional(),
  token_header: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/)
    .default("x-casekeeper-token"),
  api: z.strictObject({
    base_url: BaseUrlSchema,
    client_id: z.string().min(1).max(500),
    client_secret: credential(z.string().min(1).max(2000)),
    token_url: BaseUrlSchema.optional(),
  }),
});
export type CaseKeeperConfig = z.output<typeof ConfigSchema>;

const Envelope = z.looseObject({
  key: z
    .string()
    .min(1)
    .regex(/^verification\./, "must start with verification."),
  data: z.looseObject({ id: z.union([z.string().min(1), z.number()]).transform(String) }),
});

/** verification.<step>.<action>[.more] is about one step of the verification. */
function stepOf(key: string): { step: string; action: string } | null {
  const parts = key.split(".");
  return parts.length >= 3 && parts[1] && parts[2] ? { step: parts[1], action: parts.slice(2).join(".") } : null;
}

const VERIFICATION_STATUS: Record<string, Status> = {
  created: "pending",
  pending: "pending",
  new: "pending",
  updated: "in_progress",
  in_progress: "in_progress",
  processing: "in_progress",
  verified: "in_progress",
  completed: "completed",
  complete: "completed",
  approved: "completed",
  rejected: "completed",
  canceled: "canceled",
  cancelled: "canceled",
  expired: "canceled",
  deleted: "deleted",
};

const STEP_ACTION: Record<string, Status> = {
  created: "in_progress",
  updated: "in_progress",
  confirmed: "completed",
  validated: "completed",
  "resultDocumentUrl.read": "completed",
};

const TOKEN_SKEW_MS = 30_000;

export const casekeeper: ProviderAdapter<CaseKeeperConfig> = {
  name: "casekeeper",
  configSchema: ConfigSchema,
  example: {
    token: "example-casekeeper-token",
    token_header: "x-casekeeper-token",
    api: {
      base_url: "https://api.casekeeper.example",
      client_id: "caserelay",
      client_secret: "example-client-secret",
      token_url: "https://auth.casekeeper.example/oauth/token",
    },
  },

  verify: async (req, config) => (config.token ? verifyToken(req, config.token_header, config.token) : { ok: true }),

  parse(req) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const { key, data } = parsed.data;
    const step = stepOf(key);
    const version = firstText(data, "updatedAt", "updated_at", "modifiedAt");
    return {
      ok: true,
      event: {
        caseId: data.id,
        // No event id: a redelivery repeats the key and data (its presigned links may be re-signed).
        dedupeKey: dedupeKey([key, data.id, version ?? contentHash(withoutUrlQueries(data))]),
        providerEventId: null,
        eventType: key,
        version,
        subject: step ? `check:${step.step}` : "case",
        body: req.json,
      },
    };
  },

  canRefetch: () => true,

  authenticates: (config) => config.token !== undefined,

  versionOf(state) {
    return firstText(state, "updatedAt", "updated_at", "modifiedAt");
  },

  async refetch({ config, http, tokens }, caseId) {
    const { api } = config;
    const tokenKey = `casekeeper:${api.base_url}:${api.client_id}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await tokens.obtain(tokenKey, async () => {
        const url = api.token_url ?? `${api.base_url}/auth/realms/mac-portal/protocol/openid-connect/token`;
        const res = await http.request(url, {
          method: "POST",
          form: { grant_type: "client_credentials", client_id: api.client_id, client_secret: api.client_secret },
        });
        const fresh = firstText(res.body, "access_token");
        if (res.status >= 400 || !fresh) throw new RefetchError(`Case Keeper token endpoint answered ${res.status} without a token`, false);
        const expiresIn = Number(isRecord(res.body) ? res.body.expires_in : NaN);
        return { token: fresh, expiresAt: Number.isFinite(expiresIn) ? Date.now() + expiresIn * 1000 - TOKEN_SKEW_MS : null };
      });
      const res = await http.request(`${api.base_url}/api/v3/case-keeper/verifications/${encodeURIComponent(caseId)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status === 401 && attempt === 0) {
        await tokens.invalidate(tokenKey, token);
        continue;
      }
      if (res.status === 404 || res.status === 410) return { kind: "gone", httpStatus: res.status };
      if (res.status >= 400) throw new RefetchError(`Case Keeper verification lookup answered ${res.status}`, false);
      const body = res.body;
      const state = isRecord(body) && isRecord(body.data) && body.data.id !== undefined ? body.data : body;
      return { kind: "found", state };
    }
    throw new RefetchError("Case Keeper rejected a fresh token", false);
  },

  normalize({ event, state, verified, trusted }) {
    const key = event.eventType;
    const step = stepOf(key);
    const lifecycle = step ? undefined : key.split(".")[1];
    const stateStatus = verified ? firstText(state, "status", "state") : null;
    const status: Status =
      (stateStatus ? lookup(VERIFICATION_STATUS, stateStatus.toLowerCase()) : undefined) ??
      // The key's lifecycle word only when the body is trusted, or the API confirmed the case is gone.
      (lifecycle && (trusted || state === null) ? lookup(VERIFICATION_STATUS, lifecycle) : undefined) ??
      "in_progress";
    const stepState = step && verified && isRecord(state) && isRecord(state[step.step]) ? state[step.step] : null;
    const stepStatus = firstText(stepState, "status");
    return {
      type: eventTypeFor(status, { check: step !== null, created: key === "verification.created" }),
      status,
      provider_status: stateStatus ?? lifecycle ?? null,
      check: step
        ? {
            id: step.step,
            name: step.step,
            // Without a token the key is only a hint of which step moved: its status comes from the state.
            status:
              (stepStatus ? lookup(VERIFICATION_STATUS, stepStatus.toLowerCase()) : undefined) ??
              (trusted ? lookup(STEP_ACTION, step.action) : undefined) ??
              "in_progress",
            provider_status: stepStatus ?? (trusted ? step.action : null),
          }
        : null,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
