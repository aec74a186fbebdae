/**
 * Checkr (background checks): `{ id, object: "event", type, created_at, data: { object } }`;
 * X-Checkr-Signature is the hex HMAC-SHA256 of the body (partner apps: keyed with the OAuth client
 * secret; direct accounts reportedly with the API key). Refetch: GET /v1/reports/{id} (or the
 * invitation, or the candidate) with Basic auth, the API key as the username.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { SecretSchema } from "./schemes";
import { signatureSpec, verifySignature } from "./signatures";
import { basicAuthorization, BaseUrlSchema, eventTypeFor, fetchState, HeaderValueSchema, issues, TERMINAL, caseEventById } from "./shared";
import { firstText, isRecord, lookup, type Json } from "../lib/json";
import { credential } from "./config-shape";
import type { ProviderAdapter, RefetchOutcome } from "./types";

const ConfigSchema = z
  .strictObject({
    /** The key X-Checkr-Signature is made with; without it, the API key (as Checkr reportedly signs for direct accounts). */
    signing_secret: SecretSchema.optional(),
    api: z
      .strictObject({
        /** https://api.checkr.com, or https://api.checkr-staging.com for test accounts. */
        base_url: BaseUrlSchema.default("https://api.checkr.com"),
        api_key: credential(HeaderValueSchema.min(1).max(500)),
      })
      .optional(),
  })
  .refine((c) => c.signing_secret !== undefined || c.api !== undefined, {
    message: "set signing_secret, or api (whose api_key then verifies signatures)",
  });
export type CheckrConfig = z.output<typeof ConfigSchema>;

const SIGNATURE = signatureSpec({ header: "x-checkr-signature" });

const Id = z.union([z.string().min(1), z.number()]).transform(String);

const Envelope = z.looseObject({
  id: Id,
  type: z.string().min(1),
  created_at: z.string().nullish(),
  account_id: z.string().nullish(),
  data: z.looseObject({ object: z.looseObject({ id: Id, object: z.string().nullish(), report_id: Id.nullish() }) }),
});

/** The object kinds a case can be, in the order refetch looks for an id: reports are most of the traffic. */
const KINDS = [
  { object: "report", path: "reports" },
  { object: "invitation", path: "invitations" },
  { object: "candidate", path: "candidates" },
] as const;
const isCaseKind = (kind: string | null | undefined) => KINDS.some((k) => k.object === kind);

const REPORT: Record<string, Status> = {
  pending: "in_progress",
  suspended: "action_required", // the candidate must provide more information
  paused: "action_required", // a review action decides whether the remaining screenings run
  complete: "completed",
  canceled: "canceled",
  cancelled: "canceled",
  dispute: "in_progress", // Checkr reinvestigates what the candidate disputed
};

const INVITATION: Record<string, Status> = {
  pending: "pending",
  completed: "completed",
  expired: "canceled",
  canceled: "canceled",
  cancelled: "canceled",
  deleted: "deleted",
};

function normalizeObject(kind: string | null, entity: unknown, eventType: string): { status: Status; provider_status: string | null } {
  const status = firstText(entity, "status");
  if (eventType.endsWith(".deleted")) return { status: "deleted", provider_status: status ?? "deleted" };
  if (kind === "report") {
    const result = firstText(entity, "result");
    return {
      status: (status ? lookup(REPORT, status.toLowerCase()) : undefined) ?? "in_progress",
      provider_status: status ? (result ? `${status} / ${result}` : status) : null,
    };
  }
  if (kind === "invitation") return { status: (status ? lookup(INVITATION, status.toLowerCase()) : undefined) ?? "pending", provider_status: status };
  return { status: "in_progress", provider_status: status };
}

export const checkr: ProviderAdapter<CheckrConfig> = {
  name: "checkr",
  configSchema: ConfigSchema,
  example: { signing_secret: "example-checkr-signing-secret", api: { base_url: "https://api.checkr.com", api_key: "example-checkr-api-key" } },

  verify: (req, config) => verifySignature(req, SIGNATURE, config.signing_secret ?? [config.api!.api_key]),

  parse(req) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const e = parsed.data;
    const o = e.data.object;
    // An event about something else of a report (an adverse action...) belongs to that report's case.
    const caseId = !isCaseKind(o.object) && o.report_id ? o.report_id : o.id;
    return caseEventById(req.json, e, caseId, e.created_at ?? null);
  },

  canRefetch: (config) => config.api !== undefined,

  async refetch({ config, http }, caseId) {
    const api = config.api;
    if (!api) return { kind: "none" };
    // Checkr ids do not say what they name: try each kind of object a case can be.
    let last: RefetchOutcome = { kind: "gone", httpStatus: 404 };
    for (const kind of KINDS) {
      last = await fetchState(
        http,
        `${api.base_url}/v1/${kind.path}/${encodeURIComponent(caseId)}`,
        { authorization: basicAuthorization(api.api_key) },
        `Checkr /v1/${kind.path}`,
      );
      if (last.kind !== "gone" || last.httpStatus !== 404) return last;
    }
    return last;
  },

  normalize({ event, state, verified }) {
    const body: Json = isRecord(event.body) ? event.body : {};
    const object = isRecord(body.data) && isRecord(body.data.object) ? body.data.object : {};
    const entity = verified ? state : object;
    const bodyKind = firstText(object, "object");
    const kind = firstText(entity, "object") ?? (isCaseKind(bodyKind) ? bodyKind : event.eventType.split(".")[0]!);
    const { status, provider_status } = normalizeObject(kind, entity, event.eventType);
    return {
      type: eventTypeFor(status, { check: false, created: event.eventType === `${kind}.created` }),
      status,
      provider_status,
      check: null,
      terminal: TERMINAL.has(status),
      // Partner applications receive events of many accounts: the account is the group.
      group: firstText(body, "account_id"),
    };
  },
};
