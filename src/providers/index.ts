/** The provider registry: adding a provider is one adapter file plus its line here. */
import type { SourceRecord } from "../db/control-plane";
import { issuesToDetails } from "../lib/issues";
import { log } from "../lib/log";
import { casekeeper } from "./casekeeper";
import { checkr } from "./checkr";
import { greenhouse } from "./greenhouse";
import { parseStored } from "./config-rules";
import { ConfigShape, REDACTED } from "./config-shape";
import { caseIdPlacementProblem } from "./shared";
import { checkOutboundUrl } from "../lib/urls";
import { karmacheck } from "./karmacheck";
import { keldair } from "./keldair";
import { persona } from "./persona";
import { smartrecruiters } from "./smartrecruiters";
import { standard } from "./standard";
import { sumsub } from "./sumsub";
import { truework } from "./truework";
import { veriff } from "./veriff";
import type { ProviderAdapter } from "./types";
import type { SourceRow } from "../db/schema";

export const providers = { karmacheck, truework, casekeeper, keldair, checkr, greenhouse, smartrecruiters, persona, sumsub, veriff, standard } as const;

export type ProviderName = keyof typeof providers;
export const PROVIDER_NAMES = Object.keys(providers) as [ProviderName, ...ProviderName[]];

export function adapterFor(name: string): ProviderAdapter<unknown> | undefined {
  return Object.hasOwn(providers, name) ? (providers[name as ProviderName] as ProviderAdapter<unknown>) : undefined;
}

const shapes = new Map<string, ConfigShape>();
function shapeOf(adapter: ProviderAdapter<unknown>): ConfigShape {
  const known = shapes.get(adapter.name);
  if (known) return known;
  const shape = new ConfigShape(adapter.configSchema);
  shapes.set(adapter.name, shape);
  return shape;
}

/**
 * A source's config as it may be shown: every field its adapter marks as a credential, and every
 * field its schema does not describe, replaced by "[redacted]".
 */
export function redactConfig(provider: string, config: unknown): unknown {
  const adapter = adapterFor(provider);
  return adapter ? shapeOf(adapter).redact(config) : REDACTED;
}

export type ConfigProblem = { path: string; message: string };

/**
 * Why `config` cannot be saved for `provider` (empty when it can): its adapter's schema, then every
 * URL the adapter marks as one the relay calls, against the outbound URL policy. Paths start at
 * the config ("api.base_url"; "" for the config itself).
 */
export function configProblems(provider: string, config: unknown, opts: { allowLocalUrls: boolean }): ConfigProblem[] {
  const adapter = adapterFor(provider);
  if (!adapter) return [{ path: "", message: `unknown provider ${provider}` }];
  const parsed = adapter.configSchema.safeParse(config);
  if (!parsed.success) return issuesToDetails(parsed.error.issues).map((d) => ({ ...d, path: d.path === "(root)" ? "" : d.path }));
  return shapeOf(adapter)
    .outboundUrls(config)
    .flatMap(({ path, url }) => {
      // A placeholder in the host would let a case id choose the address; the path and query cannot.
      const placement = url.includes("{case_id}") ? caseIdPlacementProblem(url) : null;
      if (placement) return [{ path, message: `URL ${placement}` }];
      const verdict = checkOutboundUrl(url.replaceAll("{case_id}", "case"), opts.allowLocalUrls);
      return verdict.ok ? [] : [{ path, message: `URL ${verdict.reason}` }];
    });
}

export { REDACTED };
/** What the pipeline and case objects hand adapters, and what adapters throw. */
export { RefetchError, type ProviderHttp, type RefetchOutcome, type TokenCache } from "./types";

/** A source ready to verify, parse and refetch: its adapter, and its config parsed by the adapter's schema. */
export type LoadedSource = { row: SourceRow; adapter: ProviderAdapter<unknown>; config: unknown };

/** Sources whose stored config breaks a rule added since, warned about in this isolate (once an hour). */
const warned = new Map<string, number>();

/**
 * Each source's config as last parsed in this isolate, by its stored text: parsing is most of
 * resolving. Bounded like the control plane's source cache (the oldest entry goes first); shared by
 * every case of the source, so frozen.
 */
const parsed = new Map<string, { provider: string; text: string; config: unknown }>();
const MAX_PARSED = 10_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function resolveSource(record: SourceRecord): LoadedSource {
  const { row } = record;
  const adapter = adapterFor(row.provider);
  if (!adapter) throw new Error(`source ${row.id} has unknown provider ${row.provider}`);
  const text = JSON.stringify(record.config);
  const hit = parsed.get(row.id);
  if (hit && hit.provider === row.provider && hit.text === text) return { row, adapter, config: hit.config };
  const strict = adapter.configSchema.safeParse(record.config);
  if (strict.success) {
    const config = deepFreeze(strict.data);
    parsed.delete(row.id);
    parsed.set(row.id, { provider: row.provider, text, config });
    if (parsed.size > MAX_PARSED) parsed.delete(parsed.keys().next().value as string);
    return { row, adapter, config };
  }
  // Saved before a rule was added (./config-rules.ts): its webhooks keep working, the log says what to fix.
  const config = parseStored(adapter.configSchema, record.config);
  const now = Date.now();
  if ((warned.get(row.id) ?? 0) < now - 3_600_000) {
    warned.set(row.id, now);
    const paths = [...new Set(issuesToDetails(strict.error.issues).map((d) => d.path))];
    log("warn", "source config breaks a current rule; its next update must fix it", { source_id: row.id, paths });
  }
  return { row, adapter, config };
}
