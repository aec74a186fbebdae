/**
 * Routes `npm run bench` uses, answered only outside production: a bare route to compare the
 * ingest ack path against, the isolate's cost counters (src/lib/metrics.ts), and an endpoint
 * limiter's recent grant times (src/flow/object.ts).
 */
import type { Context, Next } from "hono";
import { limiterStub } from "../flow/client";
import { resetMetrics, snapshot } from "../lib/metrics";
import type { App, HonoEnv } from "./context";
import { RelayError } from "../lib/errors";

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
}
