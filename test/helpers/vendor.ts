/** What the vendor adapter tests share: requests as ingest builds them, parse/normalize as the pipeline calls them, refetch over a stubbed network. */
import { expect } from "vitest";
import { EVENT_TYPES, STATUSES } from "../../src/domain";
import { providerHttp } from "../../src/pipeline/provider-http";
import type { InboundRequest, Normalized, ParsedEvent, ProviderAdapter, RefetchOutcome, TokenCache, VerifyResult } from "../../src/providers/types";

/** The clock of the signature tests; every timestamp is relative to it. */
export const NOW = 1_750_000_000;

export type Json = Record<string, any>;

/** A request as ingest hands it to an adapter: `raw` is the exact body (signatures cover it). */
export function inbound(json: unknown, headers: Record<string, string> = {}, opts: { raw?: string; now?: number } = {}): InboundRequest {
  const raw = opts.raw ?? JSON.stringify(json) ?? "";
  let parsed: unknown = json;
  if (opts.raw !== undefined) {
    try {
      parsed = JSON.parse(opts.raw);
    } catch {
      parsed = undefined;
    }
  }
  return { headers: new Headers(headers), rawBody: raw, json: parsed, now: opts.now ?? NOW };
}

/** A deep copy of a fixture, changed by `edit`. */
export function variant<T>(fixture: T, edit: (copy: Json) => void = () => {}): Json {
  const copy = structuredClone(fixture) as Json;
  edit(copy);
  return copy;
}

export function parseOk<C>(adapter: ProviderAdapter<C>, config: C, req: InboundRequest): ParsedEvent {
  const result = adapter.parse(req, config);
  if (!result.ok) throw new Error(`expected ok, got issues ${JSON.stringify(result.issues)}`);
  return result.event;
}

export function issuePaths<C>(adapter: ProviderAdapter<C>, config: C, req: InboundRequest): string[] {
  const result = adapter.parse(req, config);
  expect(result.ok).toBe(false);
  if (result.ok) return [];
  expect(result.issues.length).toBeGreaterThan(0);
  return result.issues.map((i) => i.path);
}

/** normalize after parse, as the pipeline does: `state` is the refetched entity when `verified`, else the body. */
export function normalizeAfterParse<C>(adapter: ProviderAdapter<C>, config: C, req: InboundRequest, state: unknown, verified = true): Normalized {
  const event = parseOk(adapter, config, req);
  const n = adapter.normalize({ event, state: verified ? state : event.body, verified, trusted: true }, config);
  expect(STATUSES).toContain(n.status);
  expect(EVENT_TYPES).toContain(n.type);
  expect(n.terminal).toBe(["completed", "canceled", "deleted"].includes(n.status));
  return n;
}

/** Adapters of these vendors authenticate each request; none may ask for a cached token. */
export const noTokens: TokenCache = {
  obtain: () => Promise.reject(new Error("this adapter must not use the token cache")),
  invalidate: () => Promise.resolve(),
};

/** refetch through the Worker's own ProviderHttp, so the stubbed fetch sees real requests. */
export function refetchVia<C>(adapter: ProviderAdapter<C>, config: C, caseId: string): Promise<RefetchOutcome> {
  return adapter.refetch({ config, http: providerHttp({ allowLocal: false }), tokens: noTokens }, caseId);
}

/** Refused, naming what was wrong (`mentions`) and none of `secrets`. */
export function expectRefused(result: VerifyResult, mentions: RegExp, secrets: readonly string[]) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toMatch(mentions);
  for (const s of secrets) expect(result.reason).not.toContain(s);
}

/** The username and password of an `Authorization: Basic` header. */
export function basicOf(header: string | undefined): [string, string] | null {
  const m = /^Basic (.+)$/.exec(header ?? "");
  if (!m) return null;
  const decoded = atob(m[1]!);
  const i = decoded.indexOf(":");
  return [decoded.slice(0, i), decoded.slice(i + 1)];
}
