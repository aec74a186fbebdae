/**
 * How full each D1 database is, for the operator: the control plane's (DB) and each one the events
 * index takes rows in or still reads (INDEX_DATABASES, INDEX_RETIRED_DATABASES). One D1 database
 * holds 10 GB; README "Scaling the index" says what to do before one gets there.
 */
import { namedIndexDatabases } from "../db/index-shards";

/** D1's maximum database size on Workers Paid (GB of 10^9 bytes, as its limits page states it; the free plan's is 500 MB). */
export const D1_DATABASE_LIMIT_BYTES = 10e9;
/** From this share of the limit on, a database is nearly full: time to add one (README "Scaling the index"). */
export const NEARLY_FULL_SHARE = 0.8;

export type DatabaseSize = {
  binding: string;
  /** What it holds: the control plane, the events index (taking rows, or retired), or both. */
  holds: string;
  /** Its size as D1 reports it after a query (`meta.size_after`); null where it reports none or does not answer. */
  bytes: number | null;
  nearlyFull: boolean;
};

export async function databaseSizes(env: Env): Promise<DatabaseSize[]> {
  const index = namedIndexDatabases(env);
  const all = [{ binding: "DB", db: env.DB }, ...index.filter((d) => d.name !== "DB").map((d) => ({ binding: d.name, db: d.db }))];
  const role = (binding: string) => {
    const d = index.find((x) => x.name === binding);
    return d ? (d.retired ? "the events index, retired" : "the events index") : null;
  };
  return Promise.all(
    all.map(async ({ binding, db }) => {
      // A database that does not answer is shown as such; the page is what an operator opens in an incident.
      const size = await db
        .prepare("SELECT 1")
        .all()
        .then(
          (r) => r.meta.size_after,
          () => undefined,
        );
      const bytes = typeof size === "number" ? size : null;
      const index = role(binding);
      const holds = binding === "DB" ? (index ? `the control plane and ${index}` : "the control plane") : (index ?? "");
      return { binding, holds, bytes, nearlyFull: bytes !== null && bytes >= NEARLY_FULL_SHARE * D1_DATABASE_LIMIT_BYTES };
    }),
  );
}
