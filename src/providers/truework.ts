/**
 * Truework: order.completed and verification_request.state.change; a static token in
 * X-Truework-Token; retries for 48 h; refetch via GET /orders/{order_id}.
 */
import { z } from "zod";
import type { Status } from "../domain";
import { findById } from "./find";
import { StaticTokenSchema, verifyToken } from "./schemes";
import { BaseUrlSchema, dedupeKey, HeaderValueSchema, eventTypeFor, issues, TERMINAL } from "./shared";
import { firstText, isRecord, lookup, type Json } from "../lib/json";
import { credential } from "./config-shape";
import { RefetchError, type ProviderAdapter } from "./types";

const ConfigSchema = z.strictObject({
  tokens: z.array(StaticTokenSchema).min(1).max(10),
  api: z
    .strictObject({
      base_url: BaseUrlSchema.default("https://api.truework.com"),
      api_key: credential(HeaderValueSchema.min(1).max(500)),
    })
    .optional(),
});
export type TrueworkConfig = z.output<typeof ConfigSchema>;

const Id = z.union([z.string().min(1), z.number()]).transform(String);

const Envelope = z.looseObject({
  hook: z.looseObject({ event: z.string().min(1), triggered_at: z.string().nullish() }),
  data: z.looseObject({
    order_id: Id,
    state: z.string().nullish(),
    verification_request_id: Id.nullish(),
  }),
});

/** Truework's states, including the schema's own misspelling "action-requred". */
const STATES: Record<string, Status> = {
  "pending-approval": "pending",
  processing: "in_progress",
  "action-required": "action_required",
  "action-requred": "action_required",
  completed: "completed",
  canceled: "canceled",
  cancelled: "canceled",
  invalid: "canceled",
  other: "in_progress",
};

const mapState = (s: string | null): Status | undefined => (s ? lookup(STATES, s.toLowerCase().replace(/_/g, "-")) : undefined);

export const truework: ProviderAdapter<TrueworkConfig> = {
  name: "truework",
  configSchema: ConfigSchema,
  example: { tokens: ["example-truework-token"], api: { base_url: "https://api.truework.com", api_key: "example-truework-api-key" } },

  verify: (req, config) => verifyToken(req, "x-truework-token", config.tokens),

  parse(req) {
    const parsed = Envelope.safeParse(req.json);
    if (!parsed.success) return { ok: false, issues: issues(parsed.error) };
    const { hook, data } = parsed.data;
    const vr = hook.event.startsWith("verification_request") ? (data.verification_request_id ?? null) : null;
    const triggeredAt = hook.triggered_at ?? null;
    return {
      ok: true,
      event: {
        caseId: data.order_id,
        // hook.id names the subscription, not the event: the event is what changed and when.
        dedupeKey: dedupeKey([hook.event, data.order_id, vr, data.state ?? null, triggeredAt]),
        providerEventId: null,
        eventType: hook.event,
        version: triggeredAt,
        subject: vr ? `check:${vr}` : "case",
        body: req.json,
      },
    };
  },

  canRefetch: (config) => config.api !== undefined,

  async refetch({ config, http }, caseId) {
    if (!config.api) return { kind: "none" };
    const res = await http.request(`${config.api.base_url}/orders/${encodeURIComponent(caseId)}`, {
      headers: { authorization: `Bearer ${config.api.api_key}`, accept: "application/json; version=2023-10-30" },
    });
    if (res.status === 404 || res.status === 410) return { kind: "gone", httpStatus: res.status };
    if (res.status >= 400) throw new RefetchError(`Truework /orders answered ${res.status}`, false);
    return { kind: "found", state: res.body };
  },

  normalize({ event, state, verified }) {
    const body = isRecord(event.body) ? event.body : {};
    const data = isRecord(body.data) ? body.data : {};
    const order: Json = verified && isRecord(state) ? state : {};
    const orderState = firstText(order, "status", "state");
    const eventImplied: Status | undefined = event.eventType === "order.completed" ? "completed" : undefined;
    const isCheck = event.subject.startsWith("check:");
    const status = mapState(orderState) ?? eventImplied ?? "in_progress";
    let check = null;
    if (isCheck) {
      const id = event.subject.slice("check:".length);
      const vr = (verified ? findById(order, id) : null) ?? { id, state: data.state };
      const vrState = firstText(vr, "state", "status");
      check = { id, name: firstText(vr, "type", "name"), status: mapState(vrState) ?? "in_progress", provider_status: vrState };
    }
    return {
      type: eventTypeFor(status, { check: isCheck, created: false }),
      status,
      provider_status: orderState ?? (eventImplied ? event.eventType : null),
      check,
      terminal: TERMINAL.has(status),
      group: null,
    };
  },
};
