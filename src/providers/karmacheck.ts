/**
 * KarmaCheck: case.statuschange and casedata.statuschange; credentials in the
 * body, HTTP Basic or Standard Webhooks; retries once after 2 minutes; refetch via /case/id/{id}.
 */
import { z } from "zod";
import type { Check, Status } from "../domain";
import { basicCredentials, credentialsMatch, SecretSchema, StandardWebhooksSecretSchema, verifyStandardWebhooks } from "./schemes";
import { BaseUrlSchema, dedupeKey, eventTypeFor, issues, TERMINAL } from "./shared";
import { firstText, isRecord, lookup, text, type Json } from "../lib/json";
import { credential } from "./config-shape";
import { RefetchError, type ProviderAdapter } from "./types";
import { findById } from "./find";

const ConfigSchema = z
  .strictObject({
    username: z.string().min(1).max(200).optional(),
    password: SecretSchema.optional(),
    signing_secret: StandardWebhooksSecretSchema.optional(),
    api: z
      .strictObject({
        base_url: BaseUrlSchema.default("https://api.karmacheck.io"),
        api_key: credential(z.string().min(1).max(500)),
        client_access_token: credential(z.string().min(1).max(2000)),
      })
      .optional(),
  })
  .refine((c) => (c.username === undefined) === (c.password === undefined), {
    message: "username and password must be set together",
    path: ["password"],
  })
  .refine((c) => c.password !== undefined || c.signing_secret !== undefined || c.api !== undefined, {
    message: "set username/password or signing_secret to authenticate webhooks, or api so every event is refetched",
  });
export type KarmaCheckConfig = z.output<typeof ConfigSchema>;

const Id = z.union([z.string().min(1), z.number()]).transform(String);
const Nullable = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v == null ? null : String(v)));

const Envelope = z.looseObject({
  messageId: z.string().min(1),
  event: z.string().min(1),
  eventObject: z.looseObject({ id: Id, modStamp: Nullable, caseId: Nullable }),
});

/** Service-level events carry the case in eventObject.caseId. */
const isServiceEvent = (event: string, eventObject: Json) => event.startsWith("casedata.") || (event !== "case.statuschange" && eventObject.caseId != null);

const CASE_SECONDARY: Record<string, Status> = {
  "waiting for authorization": "pending",
  "authorization in progress": "in_progress",
  "waiting for parental consent": "action_required",
  "verifying candidate input": "in_progress",
  "reviewing order": "in_progress",
  consider: "action_required",
  canceled: "canceled",
  cancelled: "canceled",
};

const CASE_PRIMARY: Record<string, Status> = {
  pending: "in_progress",
  blocked: "action_required",
  complete: "completed",
  completed: "completed",
  adjudicated: "completed",
  canceled: "canceled",
  cancelled: "canceled",
};

const SERVICE_STATUS: Record<string, Status> = {
  acknowledge: "pending",
  pending: "in_progress",
  clear: "completed",
  complete: "completed",
  not_found: "completed",
  consider: "action_required",
  error: "action_required",
  canceled: "canceled",
};

function caseStatus(entity: unknown): { status: Status; provider_status: string | null } {
  const primary = firstText(entity, "caseStatus", "status");
  const secondary = firstText(entity, "secondaryCaseStatus", "secondaryStatus");
  const provider_status = primary ? (secondary ? `${primary} / ${secondary}` : primary) : null;
  const fromSecondary = secondary ? lookup(CASE_SECONDARY, secondary.toLowerCase()) : undefined;
  // Canceled wins; a completed primary wins over a leftover secondary.
  const fromPrimary = primary ? lookup(CASE_PRIMARY, primary.toLowerCase()) : undefined;
  const status = fromSecondary === "canceled" ? "canceled" : fromPrimary === "completed" ? "completed" : (fromSecondary ?? fromPrimary ?? "in_progress");
  return { status, provider_status };
}

function serviceCheck(service: Json, fallbackId: string): Check {
  const raw = firstText(service, "status");
  const pending = firstText(service, "pendingStatus");
  return {
    id: firstText(service, "id") ?? fallbackId,
    name: firstText(service, "serviceName", "description", "name"),
    status: (raw && lookup(SERVICE_STATUS, raw.toLowerCase())) || "in_progress",
    provider_status: raw ? (pending ? `${raw} / ${pending}` : raw) : null,
  };
}

export const karmacheck: ProviderAdapter<KarmaCheckConfig> = {
  name: "karmacheck",
  configSchema: ConfigSchema,
  example: {
    username: "karmacheck-hooks",
    password: "example-webhook-password",
    signing_secret: "whsec_Y2FzZXJlbGF5LWV4YW1wbGUtc2lnbmluZy1rZXk=",
    api: { base_url: "https://api.karmacheck.io", api_key: "example-karmacheck-api-key", client_access_token: "example-client-access-token" },
  },

  async verify(req, config) {
    if (config.signing_secret) {
      const sw = await verifyStandardWebhooks(req, config.signing_secret);
      if (!sw.ok) return sw;
    }
    if (config.username !== undefined && config.password) {
      const body = isRecord(req.json) ? req.json : {};
      const inBody = typeof body.username === "string" && typeof body.password === "string" ? { username: body.username, password: body.password } : null;
      const given = inBody ?? basicCredentials(req.headers);
      if (!given) return { ok: false, reason: "missing credentials: expected username/password in the body or HTTP Basic auth" };
      if (!(await credentialsMatch(given, config.username, config.password))) return { ok: false, reason: "invalid username or password" };
    }
    return { ok: true };
  },

  parse(req) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const { messageId, event, eventObject: o } = parsed.data;
    const service = isServiceEvent(event, o);
    if (service && !o.caseId) return { ok: false, issues: [{ path: "eventObject.caseId", message: "Required for service events" }] };
    const { username: _u, password: _p, ...body } = req.json as Json;
    return {
      ok: true,
      event: {
        caseId: service ? (o.caseId as string) : o.id,
        dedupeKey: service
          ? dedupeKey([o.id, text(o.statusId), text(o.secondaryStatusId), text(o.pendingStatusId), o.modStamp])
          : dedupeKey([o.id, text(o.caseStatusId), text(o.secondaryCaseStatusId), o.modStamp]),
        providerEventId: messageId,
        eventType: event,
        version: o.modStamp,
        subject: service ? `check:${o.id}` : "case",
        body,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined,

  authenticates: (config) => config.password !== undefined || config.signing_secret !== undefined,

  versionOf(state, subject) {
    const entity = subject.startsWith("check:") ? findById(state, subject.slice("check:".length)) : state;
    return firstText(entity, "modStamp");
  },

  async refetch({ config, http, tokens }, caseId) {
    const api = config.api;
    if (!api) return { kind: "none" };
    const tokenKey = `karmacheck:${api.base_url}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await tokens.obtain(tokenKey, async () => {
        const auth = await http.request(`${api.base_url}/auth/api`, {
          method: "POST",
          json: { apiKey: api.api_key, clientAccessToken: api.client_access_token },
        });
        const fresh = firstText(auth.body, "token");
        if (auth.status >= 400 || !fresh) throw new RefetchError(`KarmaCheck /auth/api answered ${auth.status} without a token`, false);
        return { token: fresh, expiresAt: null }; // The JWT does not expire; a 401 below replaces it.
      });
      const res = await http.request(`${api.base_url}/case/id/${encodeURIComponent(caseId)}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 401 && attempt === 0) {
        await tokens.invalidate(tokenKey, token);
        continue;
      }
      if (res.status === 403 || res.status === 404) return { kind: "gone", httpStatus: res.status };
      if (res.status >= 400) throw new RefetchError(`KarmaCheck /case/id answered ${res.status}`, false);
      const cases = isRecord(res.body) && Array.isArray(res.body.cases) ? res.body.cases : null;
      // The case asked for; ids are UUIDs, so letter case may differ. A lone answer is the case itself.
      const state = cases
        ? (cases.find((c) => firstText(c, "id")?.toLowerCase() === caseId.toLowerCase()) ?? (cases.length === 1 ? cases[0] : undefined))
        : res.body;
      if (!isRecord(state)) return { kind: "gone", httpStatus: 404 };
      return { kind: "found", state };
    }
    throw new RefetchError("KarmaCheck rejected a fresh token", false);
  },

  normalize({ event, state, verified, trusted }) {
    const body = isRecord(event.body) ? event.body : {};
    // An unauthenticated body says which case and service changed, never how.
    const eventObject = isRecord(body.eventObject) && trusted ? body.eventObject : {};
    const entity = verified ? state : eventObject;
    const service = event.subject.startsWith("check:");
    // For a service event without an API, the body is the service, not the case.
    const { status, provider_status } = service && !verified ? { status: "in_progress" as Status, provider_status: null } : caseStatus(entity);
    const checkId = event.subject.slice("check:".length);
    const check = service ? serviceCheck(findById(verified ? state : undefined, checkId) ?? { ...eventObject, id: checkId }, checkId) : null;
    return {
      type: eventTypeFor(status, { check: service, created: false }),
      status,
      provider_status,
      check,
      terminal: TERMINAL.has(status),
      group: firstText(entity, "groupProfileId") ?? firstText(eventObject, "groupProfileId"),
    };
  },
};
