/** Sources: stored config (encrypted), the API's view of it, and the per-isolate cache ingest reads. */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { sources } from "../db/schema";
import { decryptJson } from "../lib/crypto";
import { log } from "../lib/log";
import { checkOutboundUrl } from "../lib/urls";
import { parseStored } from "../providers/config-rules";
import { adapterFor } from "../providers";
import type { ProviderAdapter } from "../providers/types";
import { caseIdPlacementProblem, isRecord } from "../providers/shared";
import { issuesToDetails, type ErrorDetail } from "../http/errors";

export type SourceRow = typeof sources.$inferSelect;

/** Config keys whose values are credentials: stored encrypted, never returned. */
const SECRET_KEYS = new Set(["password", "secret", "signing_secret", "tokens", "token", "api_key", "client_secret", "client_access_token", "headers"]);
export const REDACTED = "[redacted]";

/** The config as the API shows it: every credential replaced by "[redacted]". */
export function redactConfig(value: unknown, key = ""): unknown {
  if (SECRET_KEYS.has(key)) {
    if (Array.isArray(value)) return value.map(() => REDACTED);
    if (isRecord(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
    return REDACTED;
  }
  if (Array.isArray(value)) return value.map((v) => redactConfig(v));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  return value;
}

/** URLs in a provider config that the relay will call: they follow the outbound URL policy. */
export function checkConfigUrls(config: unknown, allowLocal: boolean, path = "config"): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (Array.isArray(config)) config.forEach((v, i) => problems.push(...checkConfigUrls(v, allowLocal, `${path}.${i}`)));
  else if (isRecord(config)) {
    for (const [k, v] of Object.entries(config)) {
      if ((k === "base_url" || k === "token_url" || k === "url") && typeof v === "string") {
        // A placeholder in the host would let a case id choose the address; the path and query cannot.
        const placement = v.includes("{case_id}") ? caseIdPlacementProblem(v) : null;
        const verdict = checkOutboundUrl(v.replaceAll("{case_id}", "case"), allowLocal);
        if (placement) problems.push({ path: `${path}.${k}`, message: `URL ${placement}` });
        else if (!verdict.ok) problems.push({ path: `${path}.${k}`, message: `URL ${verdict.reason}` });
      } else if (k !== "headers") problems.push(...checkConfigUrls(v, allowLocal, `${path}.${k}`));
    }
  }
  return problems;
}

export type LoadedSource = {
  row: SourceRow;
  adapter: ProviderAdapter<unknown>;
  /** Decrypted and parsed by the adapter's schema. */
  config: unknown;
};

const TTL_MS = 5_000;
const cache = new Map<string, { at: number; value: Promise<LoadedSource | null> }>();

/**
 * A source with its decrypted config, cached in this isolate for a few seconds so ingest
 * does not read D1 on every request; a changed or deleted source takes effect within TTL_MS.
 */
export function loadSource(db: Db, encryptionKey: string, id: string, now = Date.now()): Promise<LoadedSource | null> {
  const hit = cache.get(id);
  if (hit && now - hit.at < TTL_MS) return hit.value;
  const value = (async () => {
    const row = await db.select().from(sources).where(eq(sources.id, id)).get();
    if (!row) return null;
    const adapter = adapterFor(row.provider);
    if (!adapter) throw new Error(`source ${row.id} has unknown provider ${row.provider}`);
    const stored = await decryptJson(encryptionKey, row.configEnc);
    const strict = adapter.configSchema.safeParse(stored);
    if (strict.success) return { row, adapter, config: strict.data };
    // Saved before a rule was added (src/providers/config-rules.ts): keep accepting its webhooks, say what to fix.
    const config = parseStored(adapter.configSchema, stored);
    log("warn", "source config breaks a current rule; its next update must fix it", { source_id: row.id, paths: [...new Set(issuesToDetails(strict.error.issues).map((d) => d.path))] });
    return { row, adapter, config };
  })();
  cache.set(id, { at: now, value });
  value.catch(() => cache.delete(id));
  if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
  return value;
}

export function forgetSource(id: string): void {
  cache.delete(id);
}
