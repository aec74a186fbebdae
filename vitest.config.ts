import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // The same settings on every machine: tests never read a developer's .dev.vars.
          bindings: {
            ENVIRONMENT: "test",
            ADMIN_TOKEN: "test-admin-token-0123456789",
            ENCRYPTION_KEY: "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE=",
            TEST_MIGRATIONS: migrations,
          },
          // wrangler.toml's consumers, flushing batches sooner so tests wait less.
          queueConsumers: {
            "caserelay-inbox": { maxBatchSize: 100, maxBatchTimeout: 0.05, maxRetries: 10, deadLetterQueue: "caserelay-inbox-dlq" },
            "caserelay-delivery": { maxBatchSize: 50, maxBatchTimeout: 0.05, maxRetries: 30, deadLetterQueue: "caserelay-delivery-dlq" },
            "caserelay-inbox-dlq": { maxBatchSize: 50, maxBatchTimeout: 0.05 },
            "caserelay-delivery-dlq": { maxBatchSize: 50, maxBatchTimeout: 0.05 },
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      silent: "passed-only" as const,
    },
  };
});
