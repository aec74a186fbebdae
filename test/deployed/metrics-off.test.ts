/**
 * The "deployed" project (vitest.config.ts) runs the pipeline's tests with METRICS off, as
 * deployed: this checks that it does, so those files test the unwrapped bindings and storage.
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { snapshot, withMetrics } from "../../src/lib/metrics";
import { createCustomer } from "../helpers/factories";

it("runs with METRICS off: the bindings are the platform's own and no query is counted", async () => {
  expect(env.METRICS).toBe("off");
  expect(withMetrics(env)).toBe(env);
  const before = snapshot();
  await createCustomer();
  const after = snapshot();
  expect(after.workerRequests).toBeGreaterThan(before.workerRequests);
  expect([after.d1Queries, after.d1RowsWritten]).toEqual([before.d1Queries, before.d1RowsWritten]);
});
