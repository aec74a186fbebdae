import { isRecord } from "../lib/json";

/** Deeper than any config: below this a patch replaces wholesale (validation then judges it), so recursion stays bounded. */
const MAX_DEPTH = 32;

/** Keys that name JavaScript's prototype machinery: merging them could change what every object inherits. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The path of the first forbidden key anywhere in `patch` ("verify.__proto__"), or null. Iterative,
 * so a patch nested thousands of levels deep is scanned without recursion.
 */
export function forbiddenPatchKey(patch: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value: patch, path: "" }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : isRecord(value) ? Object.entries(value) : [];
    for (const [k, v] of entries) {
      const at = path ? `${path}.${k}` : k;
      if (!Array.isArray(value) && FORBIDDEN_KEYS.has(k)) return at;
      stack.push({ value: v, path: at });
    }
  }
  return null;
}

export class ForbiddenPatchKeyError extends Error {
  override name = "ForbiddenPatchKeyError";
  constructor(readonly path: string) {
    super(`a merge patch may not contain the key ${JSON.stringify(path.split(".").pop())}`);
  }
}

/**
 * JSON Merge Patch (RFC 7396): objects merge, null deletes a key, anything else replaces. A patch
 * with a forbidden key (see forbiddenPatchKey) throws ForbiddenPatchKeyError and merges nothing.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  const bad = forbiddenPatchKey(patch);
  if (bad !== null) throw new ForbiddenPatchKeyError(bad);
  return merge(target, patch, 0);
}

function merge(target: unknown, patch: unknown, depth: number): unknown {
  if (!isRecord(patch) || depth >= MAX_DEPTH) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v, depth + 1);
  }
  return out;
}
