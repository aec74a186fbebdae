/** The watchdog reporter ends runs that would hang CI, with the right exit code (test/reporters/watchdog.mjs). */
import { describe, expect, it } from "vitest";
import { ROOT, runCommand } from "../../scripts/lib/relay.mjs";

const vitest = (files: string) =>
  runCommand(`${ROOT}/node_modules/.bin/vitest`, ["run", "--config", "test/fixtures/watchdog/vitest.config.mjs"], {
    env: { ...process.env, WATCHDOG_TEARDOWN_MS: "2000", WATCHDOG_FIXTURE_FILES: files },
    timeout: 30_000,
    what: "vitest on the watchdog fixtures",
  });

describe("the watchdog reporter", () => {
  it("ends a run whose teardown never finishes with its result: passed", async () => {
    const r = await vitest("passes.check.mjs");
    expect(r.output).toContain("watchdog:");
    expect(r.code).toBe(0);
  });

  it("and failed", async () => {
    const r = await vitest("*.check.mjs");
    expect(r.output).toContain("watchdog:");
    expect(r.code).toBe(1);
  });
});
