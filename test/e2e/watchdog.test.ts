/** The watchdog reporter ends runs that would hang CI, with the right exit code (test/reporters/watchdog.mjs). */
import { describe, expect, it } from "vitest";
import { vitestRun } from "./vitest-run.mjs";

const CONFIG = "test/fixtures/watchdog/vitest.config.mjs";

describe("the watchdog reporter", () => {
  it("ends a run whose teardown never finishes with its result: passed", async () => {
    const r = await vitestRun(CONFIG, { WATCHDOG_TEARDOWN_MS: "2000", WATCHDOG_FIXTURE_FILES: "passes.check.mjs" });
    expect(r.output).toContain("watchdog:");
    expect(r.code).toBe(0);
  });

  it("and failed", async () => {
    const r = await vitestRun(CONFIG, { WATCHDOG_TEARDOWN_MS: "2000", WATCHDOG_FIXTURE_FILES: "*.check.mjs" });
    expect(r.output).toContain("watchdog:");
    expect(r.code).toBe(1);
  });
});
