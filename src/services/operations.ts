/**
 * Operator actions shared by the admin API and the console: update (pause, resume) an endpoint,
 * recover its failed deliveries. Callers check access first.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { forgetEndpoints } from "../db/control-plane";
import { endpoints, type EndpointRow } from "../db/schema";
import type { EndpointFilter, RateLimit, SignatureScheme } from "../domain";
import { announce } from "../alerts/announce";
import { indexStatements } from "../db/index-writes";
import { RelayError } from "../lib/errors";
import { kickFanout, recoverDeliveries, type Background } from "./deliveries";

export { replayEvent } from "./deliveries";

export type EndpointChanges = {
  url?: string;
  description?: string;
  filter?: EndpointFilter;
  status?: "active" | "paused";
  signatureSchemes?: SignatureScheme[];
  /** Null removes the limit. */
  rateLimit?: RateLimit | null;
  /** A new v1a key pair (the signing key already encrypted). */
  signingKeyEnc?: string;
  publicKey?: string;
};

/**
 * Applies already validated changes. Resuming (status active on a paused or disabled endpoint)
 * clears the disabled state and sends what was held meanwhile, however much.
 */
export async function updateEndpoint(env: Env, bg: Background, db: Db, current: EndpointRow, changes: EndpointChanges): Promise<EndpointRow> {
  const resuming = changes.status === "active" && current.status !== "active";
  const row = await db
    .update(endpoints)
    .set({
      url: changes.url,
      description: changes.description,
      filter: changes.filter,
      status: changes.status,
      signatureSchemes: changes.signatureSchemes,
      rateLimit: changes.rateLimit,
      signingKeyEnc: changes.signingKeyEnc,
      publicKey: changes.publicKey,
      ...(resuming ? { disabledReason: null, failingSince: null } : {}),
      updatedAt: Date.now(),
    })
    .where(eq(endpoints.id, current.id))
    .returning()
    .get();
  forgetEndpoints(current.customerId);
  if (resuming) kickFanout(env, bg, current.id);
  if (resuming && current.status === "disabled") {
    // Its endpoint.disabled issue resolves; endpoint.failing waits for an answer.
    const clear = {
      kind: "issue_clear" as const,
      issue: "endpoint.disabled" as const,
      subjectId: current.id,
      resolution: "the endpoint was re-enabled",
      at: Date.now(),
    };
    await announce(env, await env.DB.batch(indexStatements(env.DB, [clear])));
  }
  return row;
}

/** Recovers the endpoint's failed deliveries created at or after `since`; the endpoint must be active. */
export async function recoverEndpoint(env: Env, bg: Background, endpoint: EndpointRow, since: number): Promise<number> {
  if (endpoint.status !== "active") throw new RelayError("conflict", `Endpoint ${endpoint.id} is ${endpoint.status}; resume it first (PATCH status: active).`);
  return recoverDeliveries(env, bg, endpoint.id, since);
}
