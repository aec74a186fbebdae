/// <reference types="vite/client" />
/** Helpers for tests over every adapter: their fixtures, and the credentials in a config. */
import { redactConfig, REDACTED } from "../../src/providers";

export type Fixture = { file: string; headers: Record<string, string>; body: unknown };

const files = import.meta.glob<unknown>("../fixtures/*.json", { eager: true, import: "default" });

/**
 * The fixtures of `provider`: `test/fixtures/<provider>-*.json`, each a webhook body, or
 * `{ headers, body }` for vendors whose event is partly in its headers.
 */
export function fixturesOf(provider: string): Fixture[] {
  return Object.entries(files)
    .filter(([path]) => path.split("/").pop()!.startsWith(`${provider}-`))
    .map(([path, doc]) => {
      const file = path.split("/").pop()!;
      const isRequest = typeof doc === "object" && doc !== null && !Array.isArray(doc) && Object.keys(doc).sort().join() === "body,headers";
      return isRequest ? { file, ...(doc as { headers: Record<string, string>; body: unknown }) } : { file, headers: {}, body: doc };
    });
}

/** Every scalar of `doc`, with its path. */
export function leaves(doc: unknown, path: string[] = []): { path: string[]; value: unknown }[] {
  if (Array.isArray(doc)) return doc.flatMap((v, i) => leaves(v, [...path, String(i)]));
  if (typeof doc === "object" && doc !== null) return Object.entries(doc).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value: doc }];
}

/** The values of `config` that its adapter marks as credentials. */
export function credentialValues(provider: string, config: unknown): string[] {
  const redacted = leaves(redactConfig(provider, config));
  return leaves(config)
    .filter((leaf, i) => typeof leaf.value === "string" && redacted[i]?.value === REDACTED)
    .map((leaf) => leaf.value as string);
}

/**
 * `config` with every credential replaced by a fresh one of the same kind (a Standard Webhooks
 * secret stays one), so no two sources of a test share a secret.
 */
export function withFreshCredentials(provider: string, config: Record<string, unknown>, fresh: (prefix: string) => string): Record<string, unknown> {
  const secrets = new Set(credentialValues(provider, config));
  const replace = (v: unknown): unknown => {
    if (typeof v === "string" && secrets.has(v)) return v.startsWith("whsec_") ? `whsec_${btoa(fresh("sw").padEnd(32, "x").slice(0, 48))}` : fresh(v);
    if (Array.isArray(v)) return v.map(replace);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)]));
    return v;
  };
  return replace(config) as Record<string, unknown>;
}
