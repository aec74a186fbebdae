/**
 * The events index, spread over D1 databases so that it outgrows none: INDEX_DATABASES names their
 * bindings (default `DB`, the control plane's own database). An event's row goes to the database
 * its UTC day picks (the day since the epoch, modulo their count), so
 * - a queue batch's events, received within the same second or so, land in one database;
 * - each database holds about 1/count of the retention window, and takes the index's writes one
 *   day in count, beside the control plane's writer;
 * - a write retried later goes where the first went while the list is unchanged: the day is the
 *   event id's own (its receipt's). After a change, a row two databases hold is listed once.
 * Reads ask every database, and the retired ones (INDEX_RETIRED_DATABASES: no new rows, read and
 * pruned until their rows are past retention), so adding or retiring one hides nothing written.
 * lib/config.ts checks that each name is a D1 binding.
 */
import { getConfig } from "../lib/config";
import { timeOfId } from "../lib/ids";
import { countedD1, metering } from "../lib/metrics";

const DAY_MS = 86_400_000;

/** One of the index's databases: its binding's name, and whether it is retired (read, never written). */
export type IndexDatabase = { name: string; db: D1Database; retired: boolean };

const resolved = new WeakMap<object, { named: IndexDatabase[]; writes: D1Database[]; reads: D1Database[] }>();

function databases(env: Env) {
  const cached = resolved.get(env);
  if (cached) return cached;
  const bind = (name: string): D1Database => {
    if (name === "DB") return env.DB;
    const binding = (env as unknown as Record<string, unknown>)[name] as D1Database;
    // env.DB is counted where the env is wrapped (withMetrics); the index's own bindings here.
    return metering(env) ? countedD1(binding, name) : binding;
  };
  const config = getConfig(env);
  const named = [
    ...config.indexDatabases.map((name) => ({ name, db: bind(name), retired: false })),
    ...config.indexRetiredDatabases.map((name) => ({ name, db: bind(name), retired: true })),
  ];
  const dbs = { named, writes: named.filter((d) => !d.retired).map((d) => d.db), reads: named.map((d) => d.db) };
  resolved.set(env, dbs);
  return dbs;
}

/** Every database of the index with its name: those that take new rows, then the retired. */
export function namedIndexDatabases(env: Env): IndexDatabase[] {
  return databases(env).named;
}

/** The databases that take the index's new rows, in INDEX_DATABASES order; `DB` is the control plane's binding itself. */
export function indexDatabases(env: Env): D1Database[] {
  return databases(env).writes;
}

/** Every database that may hold index rows: those that take new ones, then the retired. */
export function indexReadDatabases(env: Env): D1Database[] {
  return databases(env).reads;
}

/** Which of `count` databases holds the rows of events created at `ms` (never out of range, whatever `ms`). */
export function indexShardOf(ms: number, count: number): number {
  const day = Number.isFinite(ms) ? Math.floor(ms / DAY_MS) : 0;
  return ((day % count) + count) % count;
}

/** The database that takes the event's index row. */
export function indexDatabaseOf(env: Env, eventId: string): D1Database {
  const dbs = indexDatabases(env);
  return dbs[indexShardOf(timeOfId(eventId), dbs.length)]!;
}
