import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";

export type Db = DrizzleD1Database;

/** One drizzle instance per D1 binding in an isolate: building one is not free, and it keeps no request's state. */
const instances = new WeakMap<D1Database, Db>();

export function createDb(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    // No relational queries are used: without `schema`, drizzle builds no relational config (that
    // alone was a fifth of the pipeline's JS time per event in a CPU profile of the bench run).
    db = drizzle(d1);
    instances.set(d1, db);
  }
  return db;
}
