/**
 * Routes `npm run bench` uses, answered only outside production: a bare route to compare the
 * ingest ack path against, the isolate's cost counters (src/lib/metrics.ts), an endpoint
 * limiter's recent grant times (src/flow/object.ts), and retention run at a later clock (what an
 * event's deletes cost).
 */
import type { Context, Next } from "hono";
import { z } from "zod";
import { limiterStub } from "../flow/client";
import { RelayError } from "../lib/errors";
import { resetMetrics, snapshot } from "../lib/metrics";
import { findSource } from "../services/access";
import { runRetentionAt } from "../services/retention";
import { requireAuth, requireAdmin } from "./auth";
import { limitBody } from "./body-limit";
import type { App, HonoEnv } from "./context";
import { validationFailed } from "./errors";
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
  /** Whether the D1 index's retention runs too (a caller splitting many cases over calls runs it once). */
  index: z.boolean().default(true),
});

/** A retention request's body: 1,000 case ids of 256 characters fit, each escaped as JSON at worst (6 bytes a character). */
const RETENTION_BODY_LIMIT = 2 * 1024 * 1024;

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
  // Retention as the hourly cron and each case's alarm would run it at `at`: the D1 index's for
  // the source's customer, then the named cases' own. Admin only: it deletes what is past
  // retention at that clock. Bad input, or a source not found, changes nothing.
  app.post("/bench/retention", requireAuth, limitBody(RETENTION_BODY_LIMIT, "Retention request bodies"), async (c) => {
    requireAdmin(c);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new RelayError("invalid_json", "The request body is not valid JSON.");
    }
    const parsed = RetentionRequest.safeParse(body);
    if (!parsed.success) throw validationFailed(parsed.error.issues, "body");
    const { at, source_id: sourceId, case_ids: caseIds, index } = parsed.data;
    const source = await findSource(c.var, sourceId);
    return c.json(await runRetentionAt(c.env, c.var.config, source, at, caseIds, { index }));
  });
}
