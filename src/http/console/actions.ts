/**
 * The console's buttons: the admin API's own operations (src/services/operations.ts), answered with
 * a redirect back to the page (POST/redirect/GET) carrying a fixed notice code.
 */
import type { Context } from "hono";
import { looksLikeId } from "../../lib/ids";
import { recoverEndpoint, replayEvent, updateEndpoint } from "../../services/operations";
import { setIssueStatus } from "../../services/issues";
import { findFailedReceipt, replayReceipt as replayFailedReceipt } from "../../services/receipts";
import { sendTestEvent } from "../../services/test-sends";
import { RelayError } from "../../lib/errors";
import type { ConsoleEnv } from "./session";
import { consoleUrl } from "./ui";
import { findEndpoint, findEvent } from "../../services/access";

function idParam(c: Context<ConsoleEnv>, prefix: "evt" | "ep" | "rcv" | "iss"): string {
  const id = c.req.param("id") ?? "";
  if (!looksLikeId(prefix, id)) throw new RelayError("not_found", "No such id.");
  return id;
}

async function field(c: Context<ConsoleEnv>, name: string): Promise<string> {
  const value = (await c.req.parseBody())[name];
  return typeof value === "string" ? value.trim() : "";
}

export async function replay(c: Context<ConsoleEnv>) {
  const event = await findEvent(c.var, c.env, idParam(c, "evt"));
  const endpointId = await field(c, "endpoint_id");
  if (endpointId && !looksLikeId("ep", endpointId)) throw new RelayError("validation_failed", "endpoint_id is not an endpoint id.");
  const created = await replayEvent(c.env, event, endpointId || undefined);
  if (typeof created === "string")
    throw new RelayError(
      "not_found",
      created === "endpoint_not_found" ? "That endpoint is not one of this customer's." : "The event is no longer kept by its case.",
    );
  const back = consoleUrl("/case", { source: event.sourceId, case: event.caseId, done: "replayed", n: String(created.length) });
  return c.redirect(`${back}#${event.id}`, 303);
}

export async function setStatus(c: Context<ConsoleEnv>) {
  const endpoint = await findEndpoint(c.var, idParam(c, "ep"));
  const status = await field(c, "status");
  if (status !== "active" && status !== "paused") throw new RelayError("validation_failed", "status must be active or paused.");
  await updateEndpoint(c.env, c.executionCtx, c.var.db, endpoint, { status });
  return c.redirect(`${consoleUrl("", { done: status === "paused" ? "paused" : "resumed" })}#${endpoint.id}`, 303);
}

/** `since` comes from <input type="datetime-local">, labelled UTC. */
export async function recover(c: Context<ConsoleEnv>) {
  const endpoint = await findEndpoint(c.var, idParam(c, "ep"));
  const since = await field(c, "since");
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(since) ? Date.parse(`${since}Z`) : Number.NaN;
  if (Number.isNaN(ms)) throw new RelayError("validation_failed", "since must be a date and time (UTC), e.g. 2026-11-20T00:00.");
  const requeued = await recoverEndpoint(c.env, c.executionCtx, endpoint, ms);
  return c.redirect(`${consoleUrl("", { done: "recovered", n: String(requeued) })}#${endpoint.id}`, 303);
}

/** Sends the endpoint a test event now; the overview shows the answer (the notice, and the endpoint's last test). */
export async function testSend(c: Context<ConsoleEnv>) {
  const endpoint = await findEndpoint(c.var, idParam(c, "ep"));
  const { attempt } = await sendTestEvent(c.var.db, c.var.config, endpoint);
  const answer = attempt.status_code !== null ? String(attempt.status_code) : (attempt.error_kind ?? "connect");
  return c.redirect(`${consoleUrl("", { done: "tested", n: answer })}#${endpoint.id}`, 303);
}

export async function replayReceipt(c: Context<ConsoleEnv>) {
  const row = await findFailedReceipt(c.var.db, idParam(c, "rcv"));
  if (!row) throw new RelayError("not_found", "That receipt has not failed (or is no longer kept): only failed receipts can be processed again.");
  const r = await replayFailedReceipt(c.env, row);
  const back = consoleUrl("/case", { source: row.sourceId, case: row.caseId, done: "reprocessed", n: r?.outcome ?? "gone" });
  return c.redirect(`${back}#${row.id}`, 303);
}

/** Acknowledge or resolve an issue; back to the tab it is now in. */
export async function setIssue(c: Context<ConsoleEnv>) {
  const id = idParam(c, "iss");
  const status = await field(c, "status");
  if (status !== "acknowledged" && status !== "resolved") throw new RelayError("validation_failed", "status must be acknowledged or resolved.");
  const r = await setIssueStatus(c.env, c.var.db, id, status);
  if (!r.ok)
    throw new RelayError(
      r.error === "not_found" ? "not_found" : "conflict",
      r.error === "not_found" ? "There is no such issue." : "That issue is already resolved.",
    );
  return c.redirect(`${consoleUrl("/issues", { status: r.row.status, done: `issue-${status}` })}#${id}`, 303);
}
