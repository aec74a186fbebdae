/** Tolerant readers of JSON documents whose shape nobody promised: provider bodies and states. */

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A scalar as text (numbers included); anything else is null. */
export function text(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** The first of `keys` present in `obj` as text. */
export function firstText(obj: unknown, ...keys: string[]): string | null {
  if (!isRecord(obj)) return null;
  for (const k of keys) {
    const t = text(obj[k]);
    if (t !== null && t !== "") return t;
  }
  return null;
}

/**
 * `table[key]` for a key the provider chose: own entries only, so "constructor", "toString" or
 * "__proto__" find nothing instead of an Object.prototype member.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** RFC 6901 JSON pointer ("/data/id"). */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === "" || pointer === "/") return doc;
  let cur: unknown = doc;
  for (const raw of pointer.replace(/^\//, "").split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur) && /^\d+$/.test(key)) cur = cur[Number(key)];
    else if (isRecord(cur) && Object.hasOwn(cur, key)) cur = cur[key];
    else return undefined;
  }
  return cur;
}
