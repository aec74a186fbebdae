/**
 * Routes `npm run bench` uses, answered only outside production: a bare route to compare the
 * ingest ack path against, the isolate's cost counters (src/lib/metrics.ts), an endpoint
 * limiter's recent grant times (src/flow/object.ts), and retention run at a later clock (what an
 * event's deletes cost).
 */
import type { Context, Next } from "hono";
import { z } from "zod";
import { caseObject } from "../case/client";
import { enforceRetention } from "../cron/retention";
import { limiterStub } from "../flow/client";
import { RelayError } from "../lib/errors";
import { resetMetrics, snapshot } from "../lib/metrics";
import { requireAuth, requireAdmin } from "./auth";
import type { App, HonoEnv } from "./context";
import { issuesToDetails } from "./errors";
import { SourceIdField } from "./v1/schemas";

const DAY_MS = 86_400_000;

const RetentionRequest = z.strictObject({
  /** The clock retention runs at: later than now, at most a year ahead. */
  at: z
    .number()
    .int()
    .refine((at) => at >= Date.now() && at <= Date.now() + 366 * DAY_MS, "must be from now to a year ahead"),
  source_id: SourceIdField,
  case_ids: z.array(z.string().min(1).max(256)).min(1).max(1_000),
});

/** How many case objects retention runs in at once. */
const CASES_AT_ONCE = 8;

async function notInProduction(c: Context<HonoEnv>, next: Next) {
  if (c.var.config.environment === "production") throw new RelayError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
  await next();
}

export function registerBench(app: App) {
  app.use("/bench/*", notInProduction);
  app.post("/bench/noop", (c) => c.body(null, 200));
  app.get("/bench/metrics", (c) => c.json(snapshot()));
  app.get("/bench/limiter/:id", async (c) => c.json(await limiterStub(c.env, c.req.param("id")).snapshot()));
  app.post("/bench/metrics/reset", (c) => {
    resetMetrics();
    return c.body(null, 204);
  });
  // Retention as the hourly cron and each case's alarm would run it at `at`: the D1 index's, then
  // the named cases' own. Admin only: it deletes what is past retention at that clock.
  app.post("/bench/retention", requireAuth, async (c) => {
    requireAdmin(c);
    const parsed = RetentionRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      const details = issuesToDetails(parsed.error.issues);
      throw new RelayError("validation_failed", `Invalid request body: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
    }
    const { at, source_id: sourceId, case_ids: caseIds } = parsed.data;
    const index = await enforceRetention(c.env, at, c.var.config);
    let receipts = 0;
    for (let i = 0; i < caseIds.length; i += CASES_AT_ONCE) {
      const deleted = await Promise.all(caseIds.slice(i, i + CASES_AT_ONCE).map((caseId) => caseObject(c.env, { sourceId, caseId }).retainAt(at)));
      receipts += deleted.reduce((a, b) => a + b, 0);
    }
    return c.json({ index, receipts_deleted: receipts });
  });
}
