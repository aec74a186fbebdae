import { drizzle } from "drizzle-orm/d1";

export type Db = ReturnType<typeof createDb>;

export function createDb(d1: D1Database) {
  // No relational queries are used: without `schema`, drizzle builds no relational config for every
  // instance (that alone was a fifth of the pipeline's CPU per event, per a CPU profile of the bench run).
  return drizzle(d1);
}
