/** The scripts' own logic, from Node: which D1 databases a wrangler config declares (each one is migrated). */
import { expect, it } from "vitest";
import { d1Bindings } from "../../scripts/lib/relay.mjs";
import { withConfig, wranglerToml } from "./configs.mjs";

const database = (binding: string, prefix = "d1_databases") =>
  `[[${prefix}]]\nbinding = "${binding}"\ndatabase_name = "${binding.toLowerCase()}"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\nmigrations_dir = "migrations/index"\n`;

it("finds DB and each database of the events index's own as wrangler reads the config, per environment", async () => {
  expect(await d1Bindings()).toContain("DB");
  const extra = [
    database("INDEX_1"),
    database("INDEX_2"),
    '[env.production]\nname = "caserelay-production"',
    database("DB", "env.production.d1_databases"),
    database("INDEX_7", "env.production.d1_databases"),
  ].join("\n");
  await withConfig(wranglerToml(extra), async (file) => {
    expect(await d1Bindings(file)).toEqual(["DB", "INDEX_1", "INDEX_2"]);
    expect(await d1Bindings(file, "production")).toEqual(["DB", "INDEX_7"]);
  });
});

it("refuses a config without DB: nothing would be migrated", async () => {
  await withConfig('name = "x"\nmain = "src/index.ts"\ncompatibility_date = "2026-10-20"\n', async (file) => {
    await expect(d1Bindings(file)).rejects.toThrow(/declares no D1 database bound as DB/);
  });
});
