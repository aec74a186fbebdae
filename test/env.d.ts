import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_INDEX_MIGRATIONS: D1Migration[];
      /** The events index's own databases in the workers project (vitest.config.ts). */
      INDEX_1: D1Database;
      INDEX_2: D1Database;
    }
  }
}
