import type { Context } from "hono";
import { and, eq, inArray } from "drizzle-orm";
import { endpoints, sources } from "../../../db/schema";
import type { EndpointFilter } from "../../../domain";
import { bytesToBase64 } from "../../../lib/crypto";
import { checkOutboundUrl } from "../../../lib/urls";
import { assertVisible } from "../../auth";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";
import { iso } from "../../pagination";

export type EndpointRow = typeof endpoints.$inferSelect;

/** A Standard Webhooks signing secret: "whsec_" + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${bytesToBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

export function checkEndpointUrl(c: Context<HonoEnv>, url: string): string {
  const verdict = checkOutboundUrl(url, c.var.config.allowLocalUrls);
  if (!verdict.ok) throw new ApiError("validation_failed", `url ${verdict.reason}.`, [{ path: "url", message: verdict.reason }]);
  return verdict.url.toString();
}

/** An endpoint's filter may only name sources of its own customer. */
export async function checkFilter(c: Context<HonoEnv>, customerId: string, filter: EndpointFilter): Promise<void> {
  const ids = [...new Set(filter.source_ids ?? [])];
  if (!ids.length) return;
  const own = await c.var.db
    .select({ id: sources.id })
    .from(sources)
    .where(and(eq(sources.customerId, customerId), inArray(sources.id, ids)));
  const found = new Set(own.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) {
    throw new ApiError("validation_failed", `filter.source_ids names sources this customer does not have: ${missing.join(", ")}.`, [
      { path: "filter.source_ids", message: `unknown sources: ${missing.join(", ")}` },
    ]);
  }
}

export async function findEndpoint(c: Context<HonoEnv>, id: string): Promise<EndpointRow> {
  const row = await c.var.db.select().from(endpoints).where(eq(endpoints.id, id)).get();
  if (!row) throw new ApiError("not_found", `Endpoint ${id} not found.`);
  assertVisible(c, row.customerId, `Endpoint ${id}`);
  return row;
}

export function endpointView(row: EndpointRow) {
  const previousLive = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > Date.now();
  return {
    id: row.id,
    customer_id: row.customerId,
    url: row.url,
    description: row.description,
    filter: row.filter,
    status: row.status as "active" | "paused" | "disabled",
    disabled_reason: row.disabledReason,
    failing_since: iso(row.failingSince),
    previous_secret_expires_at: previousLive ? iso(row.previousSecretExpiresAt) : null,
    created_at: iso(row.createdAt) as string,
    updated_at: iso(row.updatedAt) as string,
  };
}
