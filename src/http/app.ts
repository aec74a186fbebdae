import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { createDb } from "../db/client";
import { ConfigError, getConfig } from "../lib/config";
import { newId } from "../lib/ids";
import { errorSummary, log } from "../lib/log";
import { requireAuth } from "./auth";
import { limitBody } from "./body-limit";
import type { HonoEnv } from "./context";
import { ERROR_STATUS, errorBody, validationFailed } from "./errors";
import { type ErrorCode, RelayError } from "../lib/errors";
import { registerBench } from "./bench";
import { registerConsole } from "./console";
import { registerIngest } from "./ingest";
import { v1Routes } from "./v1";

const ADMIN_BODY_LIMIT = 64 * 1024;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function createApp() {
  const app = new OpenAPIHono<HonoEnv>({
    // Request validation failures, in the one error envelope.
    defaultHook: (result, c) => {
      if (!result.success) {
        const err = validationFailed(result.error.issues, result.target === "json" ? "body" : result.target);
        return c.json(errorBody(err.code, err.message, c.var.requestId, err.details), ERROR_STATUS[err.code]);
      }
    },
  });

  app.use("*", async (c, next) => {
    const started = Date.now();
    const requestId = newId("req");
    c.set("requestId", requestId);
    try {
      await next();
    } finally {
      c.header("x-request-id", requestId);
      log("info", "request", {
        request_id: requestId,
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        duration_ms: Date.now() - started,
      });
    }
  });

  // A separate middleware, so a configuration error is answered by onError before the log line.
  app.use("*", async (c, next) => {
    c.set("config", getConfig(c.env));
    c.set("db", createDb(c.env.DB));
    await next();
  });

  app.onError((err, c) => {
    const requestId = c.var.requestId ?? "unknown";
    const send = (code: ErrorCode, message: string, details?: RelayError["details"]) =>
      c.json(errorBody(code, message, requestId, details), ERROR_STATUS[code]);
    if (err instanceof RelayError) return send(err.code, err.message, err.details);
    if (err instanceof HTTPException) {
      if (err.status === 413) return send("payload_too_large", "The request body is too large.");
      if (err.status === 400) return send("invalid_json", "The request body is not valid JSON.");
      return send(err.status === 401 ? "unauthorized" : "invalid_request", err.message || "Bad request.");
    }
    if (err instanceof ConfigError) {
      log("error", "misconfigured", { request_id: requestId, error: err.message });
      return send("misconfigured", "The relay is misconfigured; the operator has been told in the logs.");
    }
    log("error", "unhandled error", { request_id: requestId, route: c.req.routePath, error: errorSummary(err) });
    return send("internal_error", "Something went wrong on our side. Quote the request id when reporting it.");
  });

  app.notFound((c) => c.json(errorBody("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`, c.var.requestId), 404));

  app.get("/healthz", (c) => c.json({ ok: true }));

  registerIngest(app);
  registerBench(app);
  registerConsole(app);

  app.use("/v1/*", requireAuth);
  app.use("/v1/*", limitBody(ADMIN_BODY_LIMIT, "Admin request bodies"));
  app.use("/v1/*", async (c, next) => {
    if (c.req.method === "POST" || c.req.method === "PATCH") {
      const type = c.req.header("content-type");
      const hasBody = Number(c.req.header("content-length") ?? 0) > 0;
      if (type ? !/^application\/([\w.+-]+\+)?json\b/i.test(type) : hasBody) {
        throw new RelayError("unsupported_media_type", "Send the request body as `Content-Type: application/json`.");
      }
      // JSON is UTF-8 (RFC 8259): refuse other bytes rather than store replacement characters.
      // The body stays cached on the request for the validator.
      if (type) {
        try {
          strictUtf8.decode(await c.req.arrayBuffer());
        } catch {
          throw new RelayError("invalid_json", "The request body is not valid UTF-8 JSON.");
        }
      }
    }
    await next();
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The operator's ADMIN_TOKEN, or a customer's API key (crk_...) limited to its own data.",
  });
  for (const register of v1Routes) register(app);

  app.doc31("/v1/openapi.json", OPENAPI_DOCUMENT);

  return app;
}

/** The OpenAPI document's fixed parts; paths, components and webhooks come from the routes' schemas. */
export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "caserelay admin API",
    version: "1",
    description:
      "Customers, sources, endpoints, events, cases and deliveries of a caserelay deployment. `webhooks` describes what endpoints receive: one entry per event type, with its envelope and the Standard Webhooks headers.",
  },
  security: [{ bearer: [] }],
};
