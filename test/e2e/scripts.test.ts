/** The scripts' own logic, from Node: which D1 databases a wrangler config declares (each one is migrated). */
import { expect, it } from "vitest";
import { d1Bindings, d1BindingsOf } from "../../scripts/lib/relay.mjs";

it("finds DB in wrangler.toml, and each database of the events index's own, never one commented out", () => {
  expect(d1Bindings()).toEqual(["DB"]);
  const toml = [
    'name = "caserelay"',
    '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "caserelay"\nmigrations_dir = "migrations"',
    '# An example left commented:\n# [[d1_databases]]\n# binding = "INDEX_9"',
    '[[durable_objects.bindings]]\nname = "CASES"\nclass_name = "CaseObject"',
    ...["INDEX_1", "INDEX_2"].map((b) => `[[d1_databases]]\nbinding = "${b}"\ndatabase_name = "x"\nmigrations_dir = "migrations/index"`),
  ].join("\n\n");
  expect(d1BindingsOf(toml)).toEqual(["DB", "INDEX_1", "INDEX_2"]);
});
