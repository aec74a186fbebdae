// `npm run demo`: the whole flow in about a minute. Six provider stories go through a relay:
// webhooks in (duplicated, out of order, one forged), state refetched from a local provider
// sandbox, signed envelopes out to a demo receiver that verifies them. Then an outage: the
// receiver stops, the relay opens an endpoint.failing issue (console, and a notification to the
// demo's alert endpoint), the receiver comes back and the issue resolves. Uses the `npm start`
// relay on localhost:8787 when it answers, else starts one of its own (and stops it at the end).
//
//   npm run demo [-- --url http://127.0.0.1:8787 --token caserelay-dev-admin-token --skip-outage --no-pause]
import { realpathSync } from "node:fs";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runOutage } from "./lib/outage.mjs";
import { startAlertReceiver, startReceiver, shortId } from "./lib/receiver.mjs";
import { devVars, isUp, startRelay, waitFor } from "./lib/relay.mjs";
import { startSandbox } from "./lib/sandbox.mjs";
import { sourceConfigs, STORIES, webhookSecrets } from "./lib/stories.mjs";

const LOCAL_RELAY = "http://localhost:8787";
/** Bound on one webhook's trip through the relay (queue batch, refetch, delivery): seconds locally. */
const STEP_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

/** The admin API with the operator's token; a non-2xx answer throws with the relay's message. */
function adminClient(relayUrl, token) {
  return async (method, path, body) => {
    const res = await fetch(`${relayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => null);
    const hint = res.status === 401 ? " Pass the relay's admin token with --token." : "";
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${json?.error?.message ?? "no error message"}${hint}`);
    return json;
  };
}

/**
 * A customer with the receiver as its endpoint, the alert receiver as its alert endpoint (created
 * with the customer's own key: it hears of the customer's endpoints only), and one source per
 * provider pointing at the sandbox, plus one for the outage.
 */
async function setUp(api, relayUrl, sandbox, receiver, alerts, secrets) {
  const customer = await api("POST", "/v1/customers", { name: `Demo Hiring (npm run demo, ${new Date().toISOString()})` });
  const endpoint = await api("POST", "/v1/endpoints", { customer_id: customer.id, url: receiver.url, description: "npm run demo receiver" });
  receiver.setSecret(endpoint.secret); // shown once, in this response
  const alertEndpoint = await adminClient(relayUrl, customer.api_key)("POST", "/v1/alert-endpoints", {
    url: alerts.url,
    description: "npm run demo alert receiver",
  });
  alerts.setSecret(alertEndpoint.secret);
  // Keldair without a refetch template: what the outage sends is forwarded as it is.
  const outage = await api("POST", "/v1/sources", {
    customer_id: customer.id,
    provider: "keldair",
    name: "keldair (demo outage)",
    config: { verify: { secret: secrets.keldair.secret } },
  });
  const sources = {};
  for (const [provider, config] of Object.entries(sourceConfigs(sandbox, secrets))) {
    const source = await api("POST", "/v1/sources", { customer_id: customer.id, provider, name: `${provider} (demo sandbox)`, config });
    // ingest_url may name a public host (PUBLIC_BASE_URL); the providers here post to the relay we talk to.
    sources[provider] = { ...source, ingestUrl: `${relayUrl}/in/${source.id}` };
  }
  return { customer, endpoint, alertEndpoint, outage, sources };
}

/**
 * The sandbox and receiver stop with the demo, so its endpoint and sources would only point at
 * closed ports: remove them, or the relay would keep retrying and reconciling against nothing.
 * The customer and its events stay, to look at afterwards.
 */
async function cleanUp(api, { endpoint, alertEndpoint, outage, sources }, log) {
  try {
    await api("DELETE", `/v1/endpoints/${endpoint.id}`);
    await api("DELETE", `/v1/alert-endpoints/${alertEndpoint.id}`);
    for (const source of [...Object.values(sources), outage]) await api("DELETE", `/v1/sources/${source.id}`);
  } catch (err) {
    log(`  (cleanup: ${err instanceof Error ? err.message : err})`);
  }
}

/** What the relay did with one receipt, from the case's audit trail; null while it is pending. */
async function receiptOutcome(ctx, story, receiptId) {
  const trail = await ctx.api("GET", `/v1/cases/${story.sourceId}/${encodeURIComponent(story.caseId)}`);
  for (const r of trail.receipts) {
    if (r.id === receiptId) return r.outcome === "pending" ? null : r;
    // A provider redelivery is counted on the receipt that holds its dedupe key.
    if (r.duplicates.some((d) => d.id === receiptId)) return { ...r, outcome: "duplicate", of: r.id };
  }
  return null;
}

async function send(ctx, story, { note, raw, headers, expectStatus }) {
  ctx.stats.firstSentAt ??= Date.now();
  ctx.stats.sent++;
  const res = await fetch(story.ingestUrl, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: raw });
  const json = await res.json().catch(() => null);
  if (res.ok) ctx.stats.accepted++;
  else {
    ctx.stats.rejected++;
    ctx.rejections.push({ provider: story.provider, status: res.status, message: json?.error?.message ?? null });
  }
  ctx.log(`  → ${note.padEnd(62)} ${res.status} ${res.ok ? "accepted" : `rejected: ${json?.error?.message}`}`);
  if (res.status !== expectStatus) throw new Error(`${note}: the relay answered ${res.status}, expected ${expectStatus}`);
  return json?.id ?? null;
}

/** Waits (bounded, polling) until the relay has dealt with the receipt and, if forwarded, the receiver has the event. */
async function settle(ctx, story, receiptId, expected) {
  const r = await waitFor(() => receiptOutcome(ctx, story, receiptId), {
    timeout: ctx.stepTimeoutMs,
    interval: POLL_MS,
    what: `the relay to process ${receiptId}`,
  });
  let delivery = null;
  if (r.outcome === "forwarded") {
    delivery = await waitFor(() => ctx.receiver.deliveries.find((d) => d.envelope?.data?.event_id === r.event_id), {
      timeout: ctx.stepTimeoutMs,
      interval: POLL_MS / 2,
      what: `the delivery of ${r.event_id}`,
    });
  } else if (r.outcome === "duplicate") {
    ctx.log(`  · relay: a duplicate of ${r.of}, dropped`);
  } else {
    ctx.log(`  · relay: ${r.outcome}: ${r.detail}`);
  }
  if (!expected.includes(r.outcome)) ctx.problem(story, `${receiptId} was ${r.outcome}, expected ${expected.join(" or ")}`);
  return { ...r, delivery };
}

/**
 * One story step: send the provider's webhook (`copies` times when the provider redelivers it),
 * then wait until the relay has forwarded, dropped or refused each copy, so the next step starts
 * from a settled case. Returns the first copy's outcome (and its delivery when forwarded).
 */
async function step(ctx, story, { note, body, raw = JSON.stringify(body), headers = {}, copies = 1, expect = "forwarded", expectStatus = 200 }) {
  if (expectStatus !== 200) {
    ctx.intended.rejected++;
    await send(ctx, story, { note, raw, headers, expectStatus });
    return { outcome: "rejected" };
  }
  const ids = [];
  for (let i = 0; i < copies; i++)
    ids.push(await send(ctx, story, { note: i ? "the same webhook again (provider redelivery)" : note, raw, headers, expectStatus }));
  ctx.intended.duplicates += copies - 1;
  if (expect === "stale") ctx.intended.stale++;
  const first = await settle(ctx, story, ids[0], [expect].flat());
  for (const id of ids.slice(1)) await settle(ctx, story, id, ["duplicate"]);
  return first;
}

/** Per case from the receiver (in arrival order, retries of one webhook-id counted once); totals from the relay's API. */
async function summarize(ctx, stories, started) {
  const relay = { forwarded: 0, stale: 0, unchanged: 0, failed: 0, duplicates: 0 };
  const firstOfEach = new Set();
  const unique = ctx.receiver.deliveries.filter((d) => !firstOfEach.has(d.id) && firstOfEach.add(d.id));
  for (const story of stories) {
    const trail = await ctx.api("GET", `/v1/cases/${story.sourceId}/${encodeURIComponent(story.caseId)}`);
    for (const r of trail.receipts) {
      relay.duplicates += r.duplicate_count;
      if (r.outcome in relay) relay[r.outcome]++;
    }
    const got = unique.filter((d) => d.envelope?.data?.source_id === story.sourceId);
    const last = got.at(-1)?.envelope;
    story.sequences = got.map((d) => d.envelope.data.sequence);
    story.inOrder = got.length > 0 && story.sequences.every((s, i) => s === i + 1);
    story.signed = got.length > 0 && got.every((d) => d.verified);
    story.ended = last ? { type: last.type, status: last.data.status } : null;
    story.delivered = last?.type === story.final.type && last?.data.status === story.final.status;
    story.ok = !story.error && story.problems.length === 0 && story.delivered && story.signed && story.inOrder;
  }
  const lastDeliveryAt = Math.max(0, ...unique.map((d) => d.at));
  return {
    ok: stories.every((s) => s.ok),
    sent: ctx.stats.sent,
    accepted: ctx.stats.accepted,
    rejected: ctx.stats.rejected,
    rejections: ctx.rejections,
    duplicatesDropped: relay.duplicates,
    staleDropped: relay.stale,
    unchanged: relay.unchanged,
    forwarded: relay.forwarded,
    failed: relay.failed,
    delivered: unique.length,
    signaturesVerified: unique.filter((d) => d.verified).length,
    intended: ctx.intended,
    providerApiCalls: Object.values(ctx.sandbox.calls).reduce((a, b) => a + b, 0),
    stories: stories.map(({ provider, caseId, sourceId, sequences, inOrder, signed, delivered, ended, problems, error, ok }) => ({
      provider,
      caseId,
      sourceId,
      sequences,
      inOrder,
      signed,
      delivered,
      ended,
      problems,
      error,
      ok,
    })),
    firstWebhookToLastDeliveryMs: ctx.stats.firstSentAt && lastDeliveryAt ? lastDeliveryAt - ctx.stats.firstSentAt : null,
    durationMs: Date.now() - started,
  };
}

function printSummary(s, log) {
  const row = (label, value, note = "") => log(`  ${label.padEnd(30)} ${String(value).padStart(4)}   ${note}`);
  const rejectedBy = s.rejections.map((r) => `${r.provider} ${r.status}`).join(", ");
  log("\nSummary");
  row("webhooks sent", s.sent, `accepted ${s.accepted}, rejected ${s.rejected}${rejectedBy ? ` (${rejectedBy})` : ""}`);
  row("duplicates dropped", s.duplicatesDropped, `(${s.intended.duplicates} redelivered on purpose)`);
  row("stale dropped", s.staleDropped, `(${s.intended.stale} sent out of order on purpose)`);
  row("unchanged", s.unchanged, "(the provider's state was the same as the last one forwarded)");
  row("events delivered", s.delivered, `signatures verified ${s.signaturesVerified}/${s.delivered}`);
  row("provider API calls", s.providerApiCalls, "(refetches and tokens, answered by the sandbox)");
  for (const st of s.stories) {
    const seq = st.sequences.length ? st.sequences.map((n) => `#${n}`).join(" ") : "nothing delivered";
    const how = st.ended ? `${st.inOrder ? "in order" : "OUT OF ORDER"}, ended ${st.ended.type} ${st.ended.status}` : "";
    log(`  ${st.provider.padEnd(11)} ${shortId(st.caseId).padEnd(12)} ${seq.padEnd(12)} ${how}  ${st.ok ? "✓" : "✗"}`);
    for (const p of [...st.problems, ...(st.error ? [st.error] : [])]) log(`      ✗ ${p}`);
  }
  const elapsed = s.firstWebhookToLastDeliveryMs;
  log(`  ${"first webhook → last delivery".padEnd(30)} ${elapsed === null ? "n/a" : `${(elapsed / 1000).toFixed(1)} s`}`);
  log(s.ok ? "\n✓ Every story ended delivered, signed and in order." : "\n✗ Some stories did not end delivered, signed and in order (see above).");
}

function printOutage(o, log) {
  log("\nOutage");
  log(`  ${"failed deliveries".padEnd(30)} ${String(o.failedAttempts).padStart(4)}   (the receiver was down; retried on their schedule)`);
  log(
    `  ${"endpoint.failing issue".padEnd(30)} ${o.issueId ?? "none"}   ${o.opened ? "opened" : "never opened"}${o.resolved ? ", resolved once the receiver was back" : ""}`,
  );
  log(
    `  ${"notifications".padEnd(30)} ${String(o.notifications.length).padStart(4)}   ${o.notifications.join(", ") || "none"}${o.signed ? " (signatures verified)" : ""}`,
  );
  for (const p of o.problems) log(`      ✗ ${p}`);
  log(o.ok ? "\n✓ The outage was seen, notified and resolved." : "\n✗ The outage did not go as expected (see above).");
}

/**
 * Runs the six stories against a relay, then (unless `outage` is false) the outage, and returns
 * the summary (`ok` is false when any story did not end delivered, signed and in order;
 * `outage.ok` when the outage was not seen, notified and resolved). Starts and stops its own
 * sandbox, receiver and alert receiver. `pause` is awaited while the receiver is down.
 */
export async function runDemo({ relayUrl, adminToken, log = console.log, stepTimeoutMs = STEP_TIMEOUT_MS, outage = true, pause = async () => {} }) {
  const started = Date.now();
  const sandbox = await startSandbox();
  const receiver = await startReceiver({ log });
  const alerts = await startAlertReceiver({ log });
  const api = adminClient(relayUrl, adminToken);
  let setup = null;
  try {
    const secrets = webhookSecrets();
    setup = await setUp(api, relayUrl, sandbox, receiver, alerts, secrets);
    const { customer, endpoint, alertEndpoint, sources } = setup;
    log(`  sandbox    ${sandbox.url}  KarmaCheck, Truework, Case Keeper, Keldair, Checkr and Persona APIs, cases in memory`);
    log(`  receiver   ${receiver.url}  endpoint ${endpoint.id}, verifies every signature`);
    log(`  alerts     ${alerts.url}  alert endpoint ${alertEndpoint.id} (the customer's), verifies every notification`);
    log(`  customer   ${customer.id}  with one source per provider`);
    log("\n  → a provider's webhook to the relay   ⇢ an event the relay delivered to the receiver   · what the relay did instead");
    const ctx = {
      api,
      sandbox,
      receiver,
      secrets,
      log,
      stepTimeoutMs,
      stats: { sent: 0, accepted: 0, rejected: 0, firstSentAt: null },
      intended: { duplicates: 0, stale: 0, rejected: 0 },
      rejections: [],
      problem: (story, text) => {
        story.problems.push(text);
        log(`  ✗ ${text}`);
      },
      step: (story, opts) => step(ctx, story, opts),
    };
    const stories = [];
    for (const def of STORIES) {
      const source = sources[def.provider];
      const story = {
        provider: def.provider,
        caseId: def.newCaseId(),
        sourceId: source.id,
        ingestUrl: source.ingestUrl,
        final: def.final,
        problems: [],
        error: null,
      };
      stories.push(story);
      log(`\n${def.title} ${story.caseId}  (source ${source.id})`);
      try {
        await def.run(ctx, story);
      } catch (err) {
        story.error = err instanceof Error ? err.message : String(err);
        log(`  ✗ ${story.error}`);
      }
    }
    const summary = await summarize(ctx, stories, started);
    printSummary(summary, log);
    summary.outage = null;
    if (outage) {
      summary.outage = await runOutage(
        { ...ctx, alerts, relayUrl },
        { source: setup.outage, secret: secrets.keldair.secret, endpointId: endpoint.id, customerId: customer.id, pause: () => pause({ relayUrl }) },
      );
      printOutage(summary.outage, log);
    }
    log(
      `\nThe demo's endpoint, alert endpoint and sources are removed; its events and issues stay: GET ${relayUrl}/v1/events?customer_id=${customer.id}, ${relayUrl}/console/issues?status=resolved`,
    );
    return summary;
  } finally {
    if (setup) await cleanUp(api, setup, log);
    await Promise.all([sandbox.stop(), receiver.stop(), alerts.stop()]);
  }
}

/** While the receiver is down: the user looks at the console, then presses Enter (or it comes back by itself). */
function pauseForUser(timeoutMs) {
  return ({ relayUrl }) =>
    new Promise((resolve) => {
      console.log(`\n  Look at the issue: ${relayUrl}/console/issues (log in with the admin token).`);
      console.log(`  Press Enter to bring the receiver back (it comes back by itself in ${Math.round(timeoutMs / 60_000)} minutes).`);
      const rl = createInterface({ input: process.stdin });
      const done = () => {
        clearTimeout(timer);
        rl.close();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      rl.once("line", done);
    });
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      "skip-outage": { type: "boolean" },
      "no-pause": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (args.help) {
    console.log(
      "npm run demo [-- --url <relay> --token <admin token> --skip-outage --no-pause]\n" +
        "Without --url: the `npm start` relay on localhost:8787 if it answers, else a relay of its own.\n" +
        "The outage at the end stops the demo receiver until you press Enter (--no-pause: at once; --skip-outage: no outage).",
    );
    return;
  }
  const interactive = Boolean(process.stdin.isTTY) && !args["no-pause"];
  let relayUrl = args.url?.replace(/\/+$/, "");
  let adminToken = args.token ?? devVars().ADMIN_TOKEN;
  let own = null;
  console.log("caserelay demo");
  if (relayUrl) {
    if (!(await isUp(relayUrl))) throw new Error(`no relay answers at ${relayUrl}/healthz`);
    console.log(`  relay      ${relayUrl}`);
  } else if (await isUp(LOCAL_RELAY)) {
    relayUrl = LOCAL_RELAY;
    console.log(`  relay      ${relayUrl}  (your npm start)`);
  } else {
    console.log("  relay      none on localhost:8787: starting one (wrangler dev, temporary state)...");
    own = await startRelay();
    // Ctrl-C must not leave wrangler running: it runs in its own process group.
    process.once("SIGINT", () => own.stop().finally(() => process.exit(130)));
    relayUrl = own.url;
    adminToken = args.token ?? own.adminToken;
    console.log(`  relay      ${relayUrl}  (started for this demo)`);
  }
  try {
    const summary = await runDemo({ relayUrl, adminToken, outage: !args["skip-outage"], pause: interactive ? pauseForUser(5 * 60_000) : undefined });
    process.exitCode = summary.ok && (summary.outage?.ok ?? true) ? 0 : 1;
  } finally {
    await own?.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((err) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  });
}
