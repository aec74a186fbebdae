import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { sources } from "../../../db/schema";
import { adapterFor, type ProviderName } from "../../../providers";
import { checkConfigUrls, redactConfig, type SourceRow } from "../../../services/sources";
import { decryptJson } from "../../../lib/crypto";
import { assertVisible } from "../../auth";
import type { HonoEnv } from "../../context";
import { ApiError, issuesToDetails } from "../../errors";
import { iso } from "../../pagination";

export const ReconcileAfter = z.number().int().min(60).max(30 * 86400).openapi({ description: "Refetch an open case when it has had no event for this long (default 21600)." });
export const SilenceAfter = z.number().int().min(300).max(30 * 86400).openapi({ description: "Flag the source as silent after this long without a webhook (default 86400)." });

export const CONFIG_DOC =
  "Provider-specific, validated per provider: " +
  "karmacheck `{ username?, password?, signing_secret?, api?: { base_url, api_key, client_access_token } }`; " +
  "truework `{ tokens: [..], api?: { base_url, api_key } }`; " +
  "casekeeper `{ token?, token_header?, api: { base_url, client_id, client_secret, token_url? } }`; " +
  "keldair `{ verify: { secret } | <scheme>, case_id_pointer?, refetch?: { url, headers } }`; " +
  "standard `{ verify: <scheme>, fields: { case_id, event_id?, type?, version?, status?, group? }, status_map?, refetch? }` " +
  "where <scheme> is `{ scheme: standard_webhooks, secret }`, `{ scheme: hmac, header, algorithm, encoding, prefix?, secret, timestamp_header?, payload_template? }`, " +
  "`{ scheme: token, header, tokens }` or `{ scheme: basic, username, password }`. A secret may be a list of two while rotating.";

/** Validates a provider config (and the URLs in it) or answers 422 naming the field. */
export function validateConfig(c: Context<HonoEnv>, provider: string, config: unknown): void {
  const adapter = adapterFor(provider);
  if (!adapter) throw new ApiError("validation_failed", `Unknown provider ${provider}.`, [{ path: "provider", message: "unknown provider" }]);
  const parsed = adapter.configSchema.safeParse(config);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error.issues).map((d) => ({ ...d, path: d.path === "(root)" ? "config" : `config.${d.path}` }));
    throw new ApiError("validation_failed", `Invalid ${provider} config: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
  }
  const urlProblems = checkConfigUrls(config, c.var.config.allowLocalUrls);
  if (urlProblems.length) throw new ApiError("validation_failed", `Invalid ${provider} config: ${urlProblems.map((d) => `${d.path}: ${d.message}`).join("; ")}`, urlProblems);
}

export async function findSource(c: Context<HonoEnv>, id: string): Promise<SourceRow> {
  const row = await c.var.db.select().from(sources).where(eq(sources.id, id)).get();
  if (!row) throw new ApiError("not_found", `Source ${id} not found.`);
  assertVisible(c, row.customerId, `Source ${id}`);
  return row;
}

export function ingestUrl(c: Context<HonoEnv>, id: string): string {
  const base = c.var.config.publicBaseUrl || new URL(c.req.url).origin;
  return `${base}/in/${id}`;
}

export async function sourceView(c: Context<HonoEnv>, row: SourceRow) {
  const config = await decryptJson<Record<string, unknown>>(c.var.config.encryptionKey, row.configEnc);
  return {
    id: row.id,
    customer_id: row.customerId,
    provider: row.provider as ProviderName,
    name: row.name,
    config: redactConfig(config) as Record<string, unknown>,
    ingest_url: ingestUrl(c, row.id),
    reconcile_after_seconds: row.reconcileAfterSeconds,
    silence_after_seconds: row.silenceAfterSeconds,
    last_receipt_at: iso(row.lastReceiptAt),
    silent_since: iso(row.silentSince),
    created_at: iso(row.createdAt) as string,
    updated_at: iso(row.updatedAt) as string,
  };
}
