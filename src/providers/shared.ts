/** Tolerant readers and helpers the adapters share. Provider specifics stay in the adapters. */
import { z } from "zod";
import type { EventType, Status } from "../domain";
import { bytesToBase64 } from "../lib/crypto";
import { problemOnWrite } from "./config-rules";
import { credential, outboundUrl } from "./config-shape";
import { RefetchError, type Issue, type ParseResult, type ProviderHttp, type RefetchOutcome } from "./types";

export const JsonPointerSchema = z
  .string()
  .regex(/^(\/[^/]*)*$/, "must be a JSON pointer such as /data/id")
  .max(200);

/** An unambiguous dedupe key from the provider's fields (nulls kept in place). */
export function dedupeKey(parts: (string | null)[]): string {
  return JSON.stringify(parts);
}

/** An event about the case as a whole, deduplicated by the provider's own event id. */
export function caseEventById(body: unknown, event: { id: string; type: string }, caseId: string, version: string | null): ParseResult {
  return {
    ok: true,
    event: { caseId, dedupeKey: dedupeKey([event.id]), providerEventId: event.id, eventType: event.type, version, subject: "case", body },
  };
}

export function issues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.length ? i.path.map(String).join(".") : "(root)", message: i.message }));
}

/**
 * The forwarded envelope's type: a check-level event is check.updated; otherwise the normalized
 * status decides, and the provider's own "created" event is case.created.
 */
export function eventTypeFor(status: Status, opts: { check: boolean; created: boolean }): EventType {
  if (opts.check) return "check.updated";
  if (status === "completed") return "case.completed";
  if (status === "canceled") return "case.canceled";
  if (status === "deleted") return "case.deleted";
  return opts.created ? "case.created" : "case.updated";
}

export { TERMINAL } from "../domain";

/** A provider API base URL; which hosts are allowed is checked where the source is saved. */
export const BaseUrlSchema = outboundUrl(
  z
    .url({ protocol: /^https?$/ })
    .max(500)
    .transform((u) => u.replace(/\/+$/, "")),
);

/** A value sent in an HTTP header (a refetch header, an API key after "Bearer "): fetch refuses CR, LF and NUL. */
export const HeaderValueSchema = z.string().regex(/^[^\r\n\0]*$/, "must not contain CR, LF or NUL");

/**
 * Why `{case_id}` may not stand where a template puts it, or null: only the path and the query,
 * so a case id never chooses the scheme, credentials, host or port (`https://10.0.0.{case_id}/`).
 * The authority is taken as everything up to the first "/", "?" or "#": at least as much as the
 * URL parser takes, which also stops at "\".
 */
export function caseIdPlacementProblem(template: string): string | null {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(template)?.[0];
  if (authority === undefined) return "must be an absolute URL (scheme://host/path)";
  if (authority.includes("{case_id}")) return "may use {case_id} only in the path or query, never in the scheme, credentials, host or port";
  const hash = template.indexOf("#");
  if (hash >= 0 && template.slice(hash).includes("{case_id}")) return "may use {case_id} only in the path or query, not in the fragment";
  return null;
}

/**
 * A case id as it goes into a URL: percent-encoded (so "/", "?", "#" and "%" stay inside it), and
 * refused when it is empty or only dots, which the URL parser would read as "." or ".." segments
 * (encoded dots too: "%2e%2e" is ".."), climbing out of the templated path.
 */
export function caseIdInUrl(caseId: string): string {
  if (/^\.*$/.test(caseId)) throw new RefetchError("case id is empty or only dots: it cannot be put in a URL", false);
  return encodeURIComponent(caseId);
}

/** `{ url, headers }` to GET a case's state from a provider without a built-in adapter. */
export const RefetchTemplateSchema = z.object({
  url: outboundUrl(
    z
      .string()
      .max(500)
      .refine((u) => u.includes("{case_id}"), "must contain {case_id}")
      .refine((u) => URL.canParse(u.replaceAll("{case_id}", "x")), "must be an absolute URL")
      // Stored templates are not re-judged; refetchTemplate's origin check and the outbound policy at fetch time still hold.
      .superRefine(problemOnWrite(caseIdPlacementProblem)),
  ),
  /** Sent with the GET; its values are credentials (an Authorization header, an API key). */
  headers: credential(z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be a header name"), HeaderValueSchema.max(2000))).default({}),
});
export type RefetchTemplate = z.output<typeof RefetchTemplateSchema>;

/** GET a provider-specific URL template for a case: used by adapters without a built-in API. */
export async function refetchTemplate(http: ProviderHttp, template: RefetchTemplate, caseId: string): Promise<RefetchOutcome> {
  const url = template.url.replaceAll("{case_id}", caseIdInUrl(caseId));
  // A template stored before {case_id} was kept out of the host: the case id must not move the request elsewhere.
  const origin = (u: string) => (URL.canParse(u) ? new URL(u).origin : null);
  const expected = origin(template.url.replaceAll("{case_id}", "case"));
  if (expected === null || origin(url) !== expected) {
    throw new RefetchError("the refetch URL template puts {case_id} in the host or port: update the source's refetch.url", false);
  }
  const res = await http.request(url, { headers: template.headers });
  if (res.status === 404 || res.status === 410) return { kind: "gone", httpStatus: res.status };
  if (res.status >= 400) throw new RefetchError(`refetch answered ${res.status}`, false);
  return { kind: "found", state: res.body };
}

/** `Authorization: Basic` for a username and password, UTF-8 before base64 (RFC 7617). */
export function basicAuthorization(username: string, password = ""): string {
  return `Basic ${bytesToBase64(new TextEncoder().encode(`${username}:${password}`))}`;
}

/**
 * GET one provider entity: 404 and 410 mean gone; another 4xx fails without a retry, since the
 * same request would fail again (5xx, timeouts and network errors are retried by the caller).
 */
export async function fetchState(http: ProviderHttp, url: string, headers: Record<string, string>, what: string): Promise<RefetchOutcome> {
  const res = await http.request(url, { headers });
  if (res.status === 404 || res.status === 410) return { kind: "gone", httpStatus: res.status };
  if (res.status >= 400) throw new RefetchError(`${what} answered ${res.status}`, false);
  return { kind: "found", state: res.body };
}

/**
 * A fast 64-bit content hash (two FNV-1a lanes) for dedupe keys of providers that send no event
 * id. Not a security boundary: it only has to tell different bodies of one case apart.
 */
export function contentHash(value: unknown): string {
  const s = JSON.stringify(value) ?? "";
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}
