/** The provider registry: adding a provider is one adapter file plus its line here. */
import type { SourceRecord, SourceRow } from "../db/control-plane";
import { issuesToDetails } from "../lib/issues";
import { log } from "../lib/log";
import { casekeeper } from "./casekeeper";
import { checkr } from "./checkr";
import { greenhouse } from "./greenhouse";
import { parseStored } from "./config-rules";
import { REDACTED, Redactor } from "./credentials";
import { karmacheck } from "./karmacheck";
import { keldair } from "./keldair";
import { persona } from "./persona";
import { smartrecruiters } from "./smartrecruiters";
import { standard } from "./standard";
import { sumsub } from "./sumsub";
import { truework } from "./truework";
import { veriff } from "./veriff";
import type { ProviderAdapter } from "./types";

export const providers = { karmacheck, truework, casekeeper, keldair, checkr, greenhouse, smartrecruiters, persona, sumsub, veriff, standard } as const;

export type ProviderName = keyof typeof providers;
export const PROVIDER_NAMES = Object.keys(providers) as [ProviderName, ...ProviderName[]];

export function adapterFor(name: string): ProviderAdapter<unknown> | undefined {
  return Object.hasOwn(providers, name) ? (providers[name as ProviderName] as ProviderAdapter<unknown>) : undefined;
}

const redactors = new Map<string, Redactor>();

/**
 * A source's config as it may be shown: every field its adapter marks as a credential, and every
 * field its schema does not describe, replaced by "[redacted]".
 */
export function redactConfig(provider: string, config: unknown): unknown {
  const adapter = adapterFor(provider);
  if (!adapter) return REDACTED;
  let redactor = redactors.get(adapter.name);
  if (!redactor) redactors.set(adapter.name, (redactor = new Redactor(adapter.configSchema)));
  return redactor.redact(config);
}

export { REDACTED };

/** A source ready to verify, parse and refetch: its adapter, and its config parsed by the adapter's schema. */
export type LoadedSource = { row: SourceRow; adapter: ProviderAdapter<unknown>; config: unknown };

/** Sources whose stored config breaks a rule added since, warned about in this isolate (once an hour). */
const warned = new Map<string, number>();

export function resolveSource(record: SourceRecord): LoadedSource {
  const { row } = record;
  const adapter = adapterFor(row.provider);
  if (!adapter) throw new Error(`source ${row.id} has unknown provider ${row.provider}`);
  const strict = adapter.configSchema.safeParse(record.config);
  if (strict.success) return { row, adapter, config: strict.data };
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
