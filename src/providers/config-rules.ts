/**
 * Rules that judge a provider config when the API saves it, but not a config already stored.
 * Rules added after sources were first saved (minimum secret lengths, `{body}` in an HMAC
 * template, where `{case_id}` may stand in a refetch URL) must never make a saved source stop
 * accepting webhooks: that would lose events. Such a source keeps working, the log says what to
 * fix, and its next config change must meet every rule. Outbound URLs are checked again on every
 * fetch (src/pipeline/provider-http.ts), whatever was stored.
 */
import type { z } from "zod";

let readingStored = false;

/** A refinement check that holds while a stored config is read (see parseStored). */
export function onWrite<T>(check: (value: T) => boolean): (value: T) => boolean {
  return (value) => readingStored || check(value);
}

/** A superRefine callback adding the issue `problem` names (null: none), except while a stored config is read. */
export function problemOnWrite<T>(problem: (value: T) => string | null): (value: T, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    const message = readingStored ? null : problem(value);
    if (message !== null) ctx.addIssue({ code: "custom", message });
  };
}

/** Parses a stored config with the `onWrite` rules suspended. zod parsing is synchronous, so nothing interleaves. */
export function parseStored<T>(schema: z.ZodType<T>, value: unknown): T {
  readingStored = true;
  try {
    return schema.parse(value);
  } finally {
    readingStored = false;
  }
}
