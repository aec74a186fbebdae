import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { indexBindings } from "./helpers/index-dbs";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
// The events index's own databases, where the project has them (INDEX_DATABASES).
for (const db of indexBindings()) if (db !== env.DB) await applyD1Migrations(db, env.TEST_INDEX_MIGRATIONS);
