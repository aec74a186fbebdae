import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type Plugin } from "vitest/config";

/** The case object's migrations are .sql files imported as text, as wrangler.toml's [[rules]] bundle them. */
const sqlAsText: Plugin = {
  name: "sql-as-text",
  enforce: "pre",
  async resolveId(source, importer) {
    if (!source.endsWith(".sql")) return null;
    const resolved = await this.resolve(source, importer, { skipSelf: true });
    return resolved ? `${resolved.id}?raw` : null;
  },
};

/** The tests' own secrets (wrangler.toml's `[secrets] required`), the same on every machine. */
const TEST_SECRETS = { ADMIN_TOKEN: "test-admin-token-0123456789", ENCRYPTION_KEY: "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE=" };

type Migrations = Awaited<ReturnType<typeof readD1Migrations>>;

/** A project of tests inside workerd, with METRICS and INDEX_DATABASES as given. */
function workersProject(
  name: string,
  settings: { metrics: "on" | "off"; indexDatabases: string },
  include: string[],
  migrations: { control: Migrations; index: Migrations },
) {
  const { metrics } = settings;
  return {
    plugins: [
      sqlAsText,
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The same settings on every machine: tests never read a developer's .dev.vars.
          bindings: {
            ENVIRONMENT: "test",
            METRICS: metrics,
            INDEX_DATABASES: settings.indexDatabases,
            ...TEST_SECRETS,
            TEST_MIGRATIONS: migrations.control,
            TEST_INDEX_MIGRATIONS: migrations.index,
          },
          // The events index in two databases of its own (src/db/index-shards.ts), or in DB as deployed by default.
          d1Databases: ["INDEX_1", "INDEX_2"],
          // wrangler.toml's consumers, flushing batches sooner so tests wait less.
          queueConsumers: {
            "caserelay-inbox": { maxBatchSize: 100, maxBatchTimeout: 0.05, maxRetries: 10, deadLetterQueue: "caserelay-inbox-dlq" },
            "caserelay-inbox-dlq": { maxBatchSize: 50, maxBatchTimeout: 0.05, maxRetries: 100 },
            "caserelay-alerts": { maxBatchSize: 20, maxBatchTimeout: 0.05, maxRetries: 20 },
          },
        },
      }),
    ],
    test: {
      name,
      setupFiles: ["./test/setup.ts"],
      include,
      // test/deployed/ checks the deployed project's own settings.
      exclude: metrics === "on" ? ["test/e2e/**", "test/deployed/**"] : ["test/e2e/**"],
      testTimeout: 30_000,
    },
  };
}

export default defineConfig(async () => {
  const migrations = { control: await readD1Migrations("./migrations"), index: await readD1Migrations("./migrations/index") };
  // Wrangler looks for required secrets in .dev.vars or the environment and warns when they are
  // missing; the bindings below set them for the tests whatever it finds.
  Object.assign(process.env, TEST_SECRETS);
  return {
    test: {
      silent: "passed-only" as const,
      // The default report, and a watchdog that names what still runs when a run hangs.
      reporters: ["default", "./test/reporters/watchdog.mjs"],
      // Most of a test's time is spent waiting (queue batches, alarms, retries), not computing: more
      // files at once than cores keeps two cores busy.
      maxWorkers: 4,
      projects: [
        // Unit and integration tests, inside workerd with local D1, Durable Objects and Queues; the
        // events index in two databases of its own.
        workersProject("workers", { metrics: "on", indexDatabases: "INDEX_1,INDEX_2" }, ["test/**/*.test.ts"], migrations),
        // The pipeline's own tests again as deployed by default: METRICS off, so the bindings and
        // the objects' storage are the platform's own, unwrapped (none of these reads the
        // counters), and the events index in the control plane's database.
        workersProject(
          "deployed",
          { metrics: "off", indexDatabases: "DB" },
          [
            "test/pipeline/processing.test.ts",
            "test/pipeline/delivery.test.ts",
            "test/pipeline/dead-letter.test.ts",
            "test/case/lifecycle.test.ts",
            "test/deployed/**/*.test.ts",
          ],
          migrations,
        ),
        {
          // End-to-end tests in Node against a real `wrangler dev` (demo, bench smoke, browser).
          test: {
            name: "e2e",
            environment: "node",
            // Each file starts its own wrangler dev (and Chromium): one at a time on small machines.
            fileParallelism: false,
            include: ["test/e2e/**/*.test.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
