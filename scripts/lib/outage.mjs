// The demo's outage (README "Alerts"): the demo receiver stops; the next webhooks' deliveries fail;
// once ALERT_FAILING_AFTER attempts in a row have failed (5 by default) the relay opens an
// endpoint.failing issue, shows it in the console and notifies the demo's alert endpoint. Then the
// receiver comes back, the next delivery succeeds, and the issue resolves (endpoint.recovered).
import { randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { waitFor } from "./relay.mjs";

/** Webhooks sent at most while waiting for the issue (a relay may be configured to wait for more failures). */
const MAX_WEBHOOKS = 25;
const POLL_MS = 100;

/** A signed KeldairHR applicant event for a case of its own. */
function keldairWebhook(secret, caseId, stage) {
  const body = {
    id: randomUUID(),
    type: `applicant.${stage}`,
    version: "2022-02-23",
    dateOccurred: new Date().toISOString(),
    data: { id: caseId, firstName: "Sam", lastName: "Rivera", stage },
  };
  const raw = JSON.stringify(body);
  const now = new Date();
  return {
    raw,
    headers: {
      "content-type": "application/json",
      "webhook-id": body.id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(body.id, now, raw),
    },
  };
}

/**
 * Runs the outage against `ctx` (the demo's api, receiver, alert receiver, log) with the outage's
 * own source (`source`: Keldair, no refetch, signed with `secret`). `pause()` resolves when the
 * receiver should come back (the user pressed Enter, or at once). Returns what happened.
 */
export async function runOutage(ctx, { source, secret, endpointId, customerId, pause = async () => {} }) {
  const { api, receiver, alerts, log, relayUrl, stepTimeoutMs } = ctx;
  const result = { ok: false, issueId: null, failedAttempts: 0, webhooks: 0, opened: false, resolved: false, notifications: [], signed: false, problems: [] };
  const wait = (check, what, timeout = stepTimeoutMs) => waitFor(check, { timeout, interval: POLL_MS, what });
  const openIssue = async () =>
    (await api("GET", `/v1/issues?customer_id=${customerId}&kind=endpoint.failing&status=open`)).data.find((i) => i.subject.id === endpointId) ?? null;
  // From the case's own record (the index learns of it a moment later).
  const attemptsOf = async (caseId, eventId) =>
    (await api("GET", `/v1/cases/${source.id}/${caseId}`)).deliveries.find((d) => d.event_id === eventId && d.endpoint_id === endpointId) ?? null;
  const notified = (issueId, transition) => alerts.deliveries.find((d) => d.envelope?.data?.issue?.id === issueId && d.envelope.data.transition === transition);

  /** One webhook in; the event it becomes, once forwarded. */
  async function sendOne(stage) {
    const caseId = `app_outage_${randomUUID().slice(0, 8)}`;
    const { raw, headers } = keldairWebhook(secret, caseId, stage);
    const res = await fetch(`${relayUrl}/in/${source.id}`, { method: "POST", headers, body: raw });
    if (!res.ok) throw new Error(`the relay refused the outage's webhook: ${res.status}`);
    result.webhooks++;
    const trail = await wait(async () => {
      const t = await api("GET", `/v1/cases/${source.id}/${caseId}`);
      return t.events.length ? t : null;
    }, `the relay to forward ${caseId}`);
    return { caseId, eventId: trail.events[0].id };
  }

  log("\nOutage: the demo receiver stops, and the relay tells the alert endpoint");
  await receiver.down();
  log(`  ✂ the demo receiver stops: ${receiver.url} refuses connections`);
  let issue = null;
  for (let i = 0; i < MAX_WEBHOOKS && !issue; i++) {
    const { caseId, eventId } = await sendOne("screening");
    const d = await wait(async () => {
      const x = await attemptsOf(caseId, eventId);
      return x && x.attempt_count > 0 ? x : null;
    }, `the first attempt of ${eventId}`);
    result.failedAttempts++;
    const why = d.last_attempt?.status_code ? `HTTP ${d.last_attempt.status_code}` : (d.last_attempt?.error_kind ?? "no answer");
    log(`  → applicant.screening  ${caseId}   delivery failed (${why}), ${d.status}`);
    // Retries of earlier deliveries fail too and count; from the fifth failure on, give the index a moment.
    issue = result.failedAttempts < 5 ? await openIssue() : await waitFor(openIssue, { timeout: 3000, interval: POLL_MS, what: "the issue" }).catch(() => null);
  }
  if (!issue) {
    result.problems.push(`no endpoint.failing issue opened after ${result.failedAttempts} failed deliveries`);
    await receiver.up();
    return result;
  }
  result.issueId = issue.id;
  result.opened = true;
  log(`  ⚠ relay: issue ${issue.id} endpoint.failing is open: ${issue.count} failed attempts in a row (${issue.detail})`);
  log(`      console: ${relayUrl}/console/issues   api: GET ${relayUrl}${issue.links.issue}`);
  await wait(() => notified(issue.id, "opened"), "the endpoint.failing notification at the alert endpoint").catch((err) => result.problems.push(err.message));

  await pause();
  await receiver.up();
  log(`  ↺ the demo receiver is back on ${receiver.url}`);
  // The provider's next webhook: its delivery succeeds, and the issue resolves.
  const next = await sendOne("interview");
  await wait(() => receiver.deliveries.find((x) => x.envelope?.data?.event_id === next.eventId), "the delivery after the outage").catch((err) =>
    result.problems.push(err.message),
  );
  const resolved = await wait(async () => {
    const i = await api("GET", `/v1/issues/${issue.id}`);
    return i.status === "resolved" ? i : null;
  }, "the issue to resolve").catch((err) => {
    result.problems.push(err.message);
    return null;
  });
  if (resolved) {
    result.resolved = true;
    log(`  ✓ relay: issue ${issue.id} resolved: ${resolved.resolution}`);
    await wait(() => notified(issue.id, "resolved"), "the endpoint.recovered notification").catch((err) => result.problems.push(err.message));
  }
  const mine = alerts.deliveries.filter((d) => d.envelope?.data?.issue?.id === issue.id);
  result.notifications = mine.map((d) => d.envelope.type);
  result.signed = mine.length > 0 && mine.every((d) => d.verified);
  result.ok =
    result.opened &&
    result.resolved &&
    result.signed &&
    result.notifications.includes("endpoint.failing") &&
    result.notifications.includes("endpoint.recovered") &&
    !result.problems.length;
  log("  (the deliveries that failed are retried on their schedule: 5 s, 5 min, ...)");
  return result;
}
