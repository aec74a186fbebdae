import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import type { SourceRow } from "../../../db/schema";
import { adapterFor, configProblems, PROVIDER_NAMES, providers, redactConfig, type ProviderName } from "../../../providers";

import { decryptJson } from "../../../lib/crypto";
import { isRecord } from "../../../lib/json";
import { forbiddenPatchKey } from "../../../services/merge-patch";
import type { HonoEnv } from "../../context";
import { RelayError } from "../../../lib/errors";
import { iso } from "../../pagination";

export const ReconcileAfter = z
  .number()
  .int()
  .min(60)
  .max(30 * 86400)
  .openapi({ description: "Refetch an open case when it has had no event for this long (default 21600)." });
export const SilenceAfter = z
  .number()
  .int()
  .min(300)
  .max(30 * 86400)
  .openapi({ description: "Flag the source as silent after this long without a webhook (default 86400)." });

/**
 * A request body with one variant per provider (discriminated on `provider`), each carrying that
 * adapter's config schema, so validation and the OpenAPI document both come from the adapters.
 */
export function perProvider<Shape extends z.ZodRawShape>(name: string, shape: Shape) {
  const variants = PROVIDER_NAMES.map((provider) =>
    z
      .strictObject({
        provider: z.literal(provider),
        ...shape,
        config: providers[provider].configSchema.meta({
          description: `The ${provider} adapter's config. Fields marked writeOnly are credentials: encrypted at rest, returned as "[redacted]".`,
          example: providers[provider].example,
        }),
      })
      .openapi(`${name}_${provider}`),
  );
  return z.discriminatedUnion("provider", variants as [(typeof variants)[number], ...(typeof variants)[number][]]);
}

/**
 * The body's `config` as sent. The validated copy is the adapter's parsed output (defaults filled,
 * secrets as lists); the stored config is what was sent, parsed again on every load. Keys naming
 * JavaScript's prototype machinery are refused anywhere in it.
 */
export async function sentConfig(c: Context<HonoEnv>): Promise<Record<string, unknown>> {
  const sent: unknown = await c.req.json();
  const config = isRecord(sent) && isRecord(sent.config) ? sent.config : {};
  const forbidden = forbiddenPatchKey(config);
  if (forbidden !== null) {
    const key = JSON.stringify(forbidden.split(".").pop());
    throw new RelayError("validation_failed", `Invalid config: config.${forbidden}: the key ${key} is not allowed.`, [
      { path: `config.${forbidden}`, message: `the key ${key} is not allowed` },
    ]);
  }
  return config;
}

/** Validates a provider config (and the URLs in it) or answers 422 naming the field. */
export function validateConfig(c: Context<HonoEnv>, provider: string, config: unknown): void {
  const problems = configProblems(provider, config, { allowLocalUrls: c.var.config.allowLocalUrls });
  if (!problems.length) return;
  if (!adapterFor(provider)) throw new RelayError("validation_failed", `Unknown provider ${provider}.`, [{ path: "provider", message: "unknown provider" }]);
  const details = problems.map((p) => ({ path: p.path ? `config.${p.path}` : "config", message: p.message }));
  throw new RelayError("validation_failed", `Invalid ${provider} config: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
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
    config: redactConfig(row.provider, config) as Record<string, unknown>,
    ingest_url: ingestUrl(c, row.id),
    reconcile_after_seconds: row.reconcileAfterSeconds,
    silence_after_seconds: row.silenceAfterSeconds,
    last_receipt_at: iso(row.lastReceiptAt),
    silent_since: iso(row.silentSince),
    created_at: iso(row.createdAt) as string,
    updated_at: iso(row.updatedAt) as string,
  };
}
