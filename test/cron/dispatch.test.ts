/** One Cron Trigger every 5 minutes; its run in the first 5 minutes of an hour also enforces retention. */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import worker from "../../src/index";

let logs: string[];
let spy: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  logs = [];
  spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
});
afterEach(() => spy.mockRestore());

async function run(minute: number) {
  logs.length = 0;
  const at = new Date(Date.UTC(2030, 0, 1, 12, minute, 0));
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at.getTime(), cron: "*/5 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
  const summary = logs.map((l) => JSON.parse(l)).find((l) => l.msg === "cron run");
  expect(summary).toBeDefined();
  return summary as Record<string, unknown>;
}

it("runs silence, reconcile and the held/recovering deliveries every time, and retention in the first run of each hour", async () => {
  const every = await run(35);
  expect(Object.keys(every)).toEqual(expect.arrayContaining(["silence_flagged", "reconcile_due", "deliveries_rows", "duration_ms"]));
  expect(Object.keys(every).some((k) => k.startsWith("retention_"))).toBe(false);
  const hourly = await run(0);
  expect(hourly).toMatchObject({ retention_events: expect.any(Number), retention_deliveries: expect.any(Number), retention_cases: expect.any(Number) });
  expect(Object.keys(hourly).some((k) => k.endsWith("_error"))).toBe(false);
});
