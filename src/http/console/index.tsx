/**
 * The operator console, /console: server-rendered pages (Hono JSX, no JavaScript) behind the admin
 * token. A plain Hono sub-app, so nothing of it enters the OpenAPI document.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { errorSummary, log } from "../../lib/log";
import type { App } from "../context";
import { RelayError } from "../../lib/errors";
import { limitBody } from "../body-limit";
import { ERROR_STATUS } from "../errors";
import * as actions from "./actions";
import { STYLESHEET, STYLESHEET_PATH } from "./assets";
import { render } from "./layout";
import { casePage } from "./pages/case";
import { ErrorPage } from "./pages/error";
import { eventsPage } from "./pages/events";
import { issuesPage } from "./pages/issues";
import { login, loginForm, logout } from "./pages/login";
import { overviewPage } from "./pages/overview";
import { csrfMatches, csrfToken, liveSession, readSessionCookie, type ConsoleEnv } from "./session";

/** The only console paths answered without a session. */
const PUBLIC_PATHS = new Set(["/console/login", STYLESHEET_PATH]);

const SECURITY_HEADERS: Record<string, string> = {
  // No script at all, styles only from the Worker, forms only to the Worker, never framed.
  "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const FORM_BODY_LIMIT = 16 * 1024;

const securityHeaders: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  // Pages show customer data: never cached; the stylesheet says otherwise itself.
  if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
};

const isRead = (method: string) => method === "GET" || method === "HEAD";

/**
 * Every console path but the login form and the stylesheet needs a live session: pages redirect to
 * the login form, forms answer 401. A form (POST) must also carry the session's CSRF token, and is
 * refused outright when the browser says it comes from another site (Fetch Metadata), login included.
 */
const requireSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const site = c.req.header("sec-fetch-site");
  if (!isRead(c.req.method) && site && site !== "same-origin") throw new RelayError("forbidden", "Cross-site form submissions are refused.");
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  const sessionId = await liveSession(c.var.db, c.var.config, readSessionCookie(c));
  if (!sessionId) {
    if (!isRead(c.req.method)) throw new RelayError("unauthorized", "Your console session is missing or expired: log in again.");
    const url = new URL(c.req.url);
    return c.redirect(`/console/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  c.set("principal", { kind: "admin" });
  c.set("csrf", await csrfToken(c.var.config, sessionId));
  if (!isRead(c.req.method) && !(await csrfMatches(c.var.config, sessionId, (await c.req.parseBody()).csrf))) {
    throw new RelayError("forbidden", "The form's CSRF token does not match this session: reload the page and try again.");
  }
  await next();
};

const TITLES: Record<number, string> = {
  401: "Log in again",
  403: "Refused",
  404: "Not found",
  409: "Not possible now",
  413: "Too large",
  422: "Check the form",
};

export function registerConsole(app: App) {
  const ui = new Hono<ConsoleEnv>();
  ui.use("*", securityHeaders);
  ui.use("*", limitBody(FORM_BODY_LIMIT, "Console forms"));
  ui.use("*", requireSession);

  ui.get("/assets/console.css", (c) => c.body(STYLESHEET, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }));
  ui.get("/login", loginForm);
  ui.post("/login", login);
  ui.post("/logout", logout);
  ui.get("/", overviewPage);
  ui.get("/events", eventsPage);
  ui.get("/case", casePage);
  ui.get("/issues", issuesPage);
  ui.post("/events/:id/replay", actions.replay);
  ui.post("/endpoints/:id/status", actions.setStatus);
  ui.post("/endpoints/:id/recover", actions.recover);
  ui.post("/endpoints/:id/test", actions.testSend);
  ui.post("/receipts/:id/replay", actions.replayReceipt);
  ui.post("/issues/:id/status", actions.setIssue);
  ui.get("*", () => {
    throw new RelayError("not_found", "There is no such console page.");
  });

  // Errors as pages, with the same codes and messages as the API's envelope.
  ui.onError((err, c) => {
    const requestId = c.var.requestId;
    let status: number;
    let message: string;
    if (err instanceof RelayError) [status, message] = [ERROR_STATUS[err.code], err.message];
    else if (err instanceof HTTPException) [status, message] = [err.status, "The request could not be read."];
    else {
      log("error", "unhandled error", { request_id: requestId, route: c.req.routePath, error: errorSummary(err) });
      [status, message] = [500, "Something went wrong on our side. Quote the request id when reporting it."];
    }
    const page = (
      <ErrorPage
        title={TITLES[status] ?? "Error"}
        message={message}
        requestId={requestId}
        csrf={c.var.csrf}
        login={status === 401 ? "/console/login" : undefined}
      />
    );
    return render(c, page, status as 500);
  });

  app.route("/console", ui);
}
