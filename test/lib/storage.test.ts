/** How full each D1 database is (the console's overview): sizes as D1 reports them, and when one is nearly full. */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { databaseSizes, D1_DATABASE_LIMIT_BYTES, NEARLY_FULL_SHARE } from "../../src/services/storage";

/** A D1 binding that answers every query with the given size. */
/** A D1 binding that does not answer. */
const down = (): D1Database =>
  ({
    prepare: () => ({ all: async () => Promise.reject(new Error("D1_ERROR: unreachable")) }),
    batch: async () => [],
  }) as unknown as D1Database;

const sized = (bytes: number | undefined): D1Database =>
  ({
    prepare: () => ({ all: async () => ({ results: [], success: true, meta: { size_after: bytes } }) }),
    batch: async () => [],
  }) as unknown as D1Database;

it("names each database with what it holds and reads its size, nearly full from 80 % of 10 GB", async () => {
  const limit = NEARLY_FULL_SHARE * D1_DATABASE_LIMIT_BYTES;
  const e = {
    ...env,
    METRICS: "off",
    INDEX_DATABASES: "DB,BIG,ALMOST",
    INDEX_RETIRED_DATABASES: "OLD",
    BIG: sized(limit),
    ALMOST: sized(limit - 1),
    OLD: sized(undefined),
  } as unknown as Env;
  const sizes = await databaseSizes(e);
  expect(sizes.map((d) => [d.binding, d.holds, d.nearlyFull])).toEqual([
    ["DB", "the control plane and the events index", false],
    ["BIG", "the events index", true],
    ["ALMOST", "the events index", false],
    ["OLD", "the events index, retired", false],
  ]);
  expect(sizes[0]!.bytes).toBeGreaterThan(0);
  expect(sizes.map((d) => d.bytes).slice(1)).toEqual([limit, limit - 1, null]);
  const own = await databaseSizes({ ...env, METRICS: "off", INDEX_DATABASES: "INDEX_1", INDEX_RETIRED_DATABASES: "DB" } as unknown as Env);
  expect(own.map((d) => [d.binding, d.holds])).toEqual([
    ["DB", "the control plane and the events index, retired"],
    ["INDEX_1", "the events index"],
  ]);
});

it("shows a database that does not answer as not reported, and the others as they are", async () => {
  const sizes = await databaseSizes({ ...env, METRICS: "off", INDEX_DATABASES: "DB,GONE", GONE: down() } as unknown as Env);
  expect(sizes.map((d) => [d.binding, d.bytes === null, d.nearlyFull])).toEqual([
    ["DB", false, false],
    ["GONE", true, false],
  ]);
});
