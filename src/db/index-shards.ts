/**
 * The events index, spread over D1 databases so that it outgrows none: INDEX_DATABASES names their
 * bindings (default `DB`, the control plane's own database). An event's row goes to the database
 * its UTC day picks (the day since the epoch, modulo their count), so
 * - a queue batch's events, received within the same second or so, land in one database;
 * - each database holds about 1/count of the retention window, and takes the index's writes one
 *   day in count, beside the control plane's writer;
 * - a write retried later goes where the first went: the day is the event id's own (its receipt's).
 * Reads ask every database and merge, so adding one hides nothing already written. A database
 * leaves the list only once EVENT_RETENTION_DAYS have passed with no day routed to it.
 */
import { ConfigError, getConfig } from "../lib/config";
import { timeOfId } from "../lib/ids";
import { countedD1, metering } from "../lib/metrics";

const DAY_MS = 86_400_000;

const resolved = new WeakMap<object, D1Database[]>();

const isD1 = (b: unknown): b is D1Database =>
  typeof b === "object" && b !== null && typeof (b as D1Database).prepare === "function" && typeof (b as D1Database).batch === "function";

/** The index's databases, in INDEX_DATABASES order; `DB` is the control plane's binding itself. */
export function indexDatabases(env: Env): D1Database[] {
  const cached = resolved.get(env);
  if (cached) return cached;
  const dbs = getConfig(env).indexDatabases.map((name) => {
    if (name === "DB") return env.DB;
    const binding = (env as unknown as Record<string, unknown>)[name];
    if (!isD1(binding)) throw new ConfigError(`invalid Worker configuration: INDEX_DATABASES names ${name}, which is not a D1 binding`);
    // env.DB is counted where the env is wrapped (withMetrics); the index's own bindings here.
    return metering(env) ? countedD1(binding) : binding;
  });
  resolved.set(env, dbs);
  return dbs;
}

/** Which of `count` databases holds the rows of events created at `ms`. */
export function indexShardOf(ms: number, count: number): number {
  return Math.floor(ms / DAY_MS) % count;
}

/** The database that holds the event's index row. */
export function indexDatabaseOf(env: Env, eventId: string): D1Database {
  const dbs = indexDatabases(env);
  return dbs[indexShardOf(timeOfId(eventId), dbs.length)]!;
}
