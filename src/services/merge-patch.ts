import { isRecord } from "../providers/shared";

/** Deeper than any config: below this a patch replaces wholesale (validation then judges it), so recursion stays bounded. */
const MAX_DEPTH = 32;

/** JSON Merge Patch (RFC 7396): objects merge, null deletes a key, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown, depth = 0): unknown {
  if (!isRecord(patch) || depth >= MAX_DEPTH) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, depth + 1);
  }
  return out;
}
