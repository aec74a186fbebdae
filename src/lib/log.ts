/**
 * One JSON object per line, for Workers observability. Callers pass ids, counts and codes,
 * never payloads or credentials.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined | string[] | Record<string, number>>;

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** The name and message of an error, trimmed; never its cause chain (which may quote a body). */
export function errorSummary(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}
