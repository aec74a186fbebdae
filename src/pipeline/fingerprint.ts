import { sha256Hex } from "../lib/crypto";
import { withoutUrlQueries } from "../lib/urls";

/** JSON with object keys sorted, so the same state always serializes the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * What makes an event "the same" as the last one forwarded: the provider's state (ignoring the query
 * strings of URLs: presigned links are re-signed on every fetch) and what the event says about it,
 * its type and check. A redundant webhook is `unchanged`; but the same state announced as
 * `case.completed` after a `check.updated` is news to an endpoint that only takes completions.
 */
export function eventFingerprint(state: unknown, type: string, check: unknown): Promise<string> {
  return sha256Hex(canonicalJson([withoutUrlQueries(state), type, check]));
}

/** Orders provider versions: timestamps by time, numbers by value, anything else as text. */
export function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}
