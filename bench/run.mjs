// npm run bench: ack throughput against a bare route, end-to-end latency (and what the queue's batch
// timeout trades for it), what a relayed event costs on Cloudflare, what it keeps in storage, and
// how closely an endpoint's rate limit is held, measured on the local runtime (`wrangler dev`,
// loopback only) in one run.
//
//   npm run bench                 full run (6 to 8 minutes)
//   npm run bench -- --quick      a few seconds per section
//   options: --rounds N --seconds S --connections C --events N --cases M --rate R --timeouts 1,0.5,0.25
//            --only flow (the flow-control section alone, at its full size unless --quick)
//            --only cpu (end to end at fan-out 1 alone: latency, rows and runtime CPU per event;
//                        --runs N runs it N times on one relay, --profile F writes a CPU profile,
//                        --unmetered runs it with METRICS = "off", as deployed: CPU and latency only)
//            --only index (end to end at fan-out 1 with the events index in DB, then in two databases
//                        of its own, alternating --runs N times)
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import os from "node:os";
import { join } from "node:path";
import { ROOT, startRelay, waitFor } from "../scripts/lib/relay.mjs";
import { CLOUDFLARE, GATEWAYS } from "./prices.mjs";
import { caseEvent, karmacheckApi, receiver, signStandard } from "./lib/stubs.mjs";

/** Settings for a full run; `--quick` shrinks every section to a few seconds (also the smoke test's size). */
export function benchSettings(argv = []) {
  const quick = argv.includes("--quick");
  const opt = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const only = argv.indexOf("--only");
  const profile = argv.indexOf("--profile");
  return {
    quick,
    only: only >= 0 ? argv[only + 1] : null,
    runs: opt("runs", 1),
    unmetered: argv.includes("--unmetered"),
    profile: profile >= 0 ? argv[profile + 1] : null,
    rounds: opt("rounds", quick ? 1 : 3),
    seconds: opt("seconds", quick ? 1 : 5),
    connections: opt("connections", 10),
    latencySeconds: quick ? 1 : 3,
    ackCases: 1000,
    duplicateShare: 0.1,
    events: opt("events", quick ? 20 : 600),
    cases: opt("cases", quick ? 20 : 100),
    sendRate: opt("rate", quick ? 40 : 60),
    providerLatencyMs: 3,
    /** INBOX max_batch_timeout values compared (seconds); wrangler.toml's own is measured in sections 2 and 3. */
    batchTimeouts: (() => {
      const i = argv.indexOf("--timeouts");
      return i >= 0 ? argv[i + 1].split(",").map(Number) : quick ? [0.25] : [1, 0.5, 0.25];
    })(),
    timeoutEvents: quick ? 20 : 300,
    // Flow control: a burst of held deliveries released at once to an endpoint limited to 10/s.
    rateLimit: 10,
    rateEvents: quick ? 30 : 1000,
    rateCases: quick ? 10 : 100,
  };
}

/** max_batch_timeout of the INBOX consumer in wrangler.toml. */
export function configuredBatchTimeout(toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8")) {
  const block = toml.split(/\n(?=\[)/).find((b) => b.startsWith("[[queues.consumers]]") && /queue = "caserelay-inbox"\s*\n/.test(b));
  return Number(/max_batch_timeout = ([\d.]+)/.exec(block ?? "")?.[1] ?? NaN);
}

/** wrangler.toml with the INBOX consumer's max_batch_timeout replaced. */
function configWithBatchTimeout(seconds) {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const blocks = toml
    .split(/\n(?=\[)/)
    .map((b) =>
      b.startsWith("[[queues.consumers]]") && /queue = "caserelay-inbox"\s*\n/.test(b)
        ? b.replace(/max_batch_timeout = [\d.]+/, `max_batch_timeout = ${seconds}`)
        : b,
    );
  const file = join(ROOT, `.bench.timeout-${seconds}.wrangler.toml`);
  writeFileSync(file, blocks.join("\n"));
  return { file, remove: () => rmSync(file, { force: true }) };
}

/** The events index's own databases in the index-databases run (INDEX_DATABASES). */
const INDEX_BINDINGS = ["INDEX_1", "INDEX_2"];

/** wrangler.toml with databases of the events index's own (migrations/index/) beside DB. */
function configWithIndexDatabases() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const blocks = INDEX_BINDINGS.map(
    (binding) =>
      `[[d1_databases]]\nbinding = "${binding}"\ndatabase_name = "caserelay-${binding.toLowerCase()}"\ndatabase_id = "00000000-0000-0000-0000-00000000000${binding.at(-1)}"\nmigrations_dir = "migrations/index"\n`,
  );
  const file = join(ROOT, ".bench.index.wrangler.toml");
  writeFileSync(file, `${toml}\n${blocks.join("\n")}`);
  return { file, remove: () => rmSync(file, { force: true }) };
}

let SETTINGS = benchSettings();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const round = (n, d = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);
const log = (...a) => console.error(...a);

/** Talks to a relay's admin API with its admin token. */
const adminApi = (relay) => async (method, path, body) => {
  const res = await fetch(`${relay.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

/**
 * Configs for measuring the ack path alone: wrangler.toml without its INBOX consumer, plus a drain
 * Worker that consumes the INBOX queue and acknowledges everything. Deployed, the pipeline's
 * consumers run in their own invocations, not on the cores answering providers; locally they would
 * compete with the ack path for the same 2 cores. (A queue left without any consumer is no better:
 * the local queue slows down as messages pile up.)
 */
function ackPathConfigs() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const blocks = toml.split(/\n(?=\[)/);
  const kept = blocks.filter((b) => !(b.startsWith("[[queues.consumers]]") && /queue = "caserelay-inbox"\s*\n/.test(b)));
  const relay = join(ROOT, ".bench.wrangler.toml");
  const drain = join(ROOT, ".bench.drain.wrangler.toml");
  writeFileSync(relay, kept.join("\n"));
  writeFileSync(
    drain,
    [
      'name = "caserelay-bench-drain"',
      'main = "bench/drain-worker.mjs"',
      'compatibility_date = "2026-10-20"',
      "[[queues.consumers]]",
      'queue = "caserelay-inbox"',
      "max_batch_size = 100",
      "max_batch_timeout = 1",
      "",
    ].join("\n"),
  );
  return {
    relay,
    drain,
    remove: () => {
      for (const f of [relay, drain]) rmSync(f, { force: true });
    },
  };
}

/** Runs every section; prints the tables and writes the JSON unless `write` is false. Returns the report. */
export async function runBench(settings = benchSettings(), { write = true } = {}) {
  SETTINGS = settings;
  if (SETTINGS.only === "flow") return runFlowOnly();
  if (SETTINGS.only === "cpu") return runCpuOnly();
  if (SETTINGS.only === "index") return runIndexOnly();
  if (SETTINGS.only !== null) throw new Error(`--only takes flow, cpu or index, not ${SETTINGS.only}`);
  log(`caserelay bench ${SETTINGS.quick ? "(quick) " : ""}— ack path: the relay under wrangler dev, its INBOX drained by a bench Worker...`);
  const configs = ackPathConfigs();
  let ack;
  const ackRelay = await startRelay({ config: configs.relay, extraConfigs: [configs.drain] });
  try {
    ack = await ackPath(ackRelay, adminApi(ackRelay));
  } finally {
    await ackRelay.stop();
    configs.remove();
  }
  log("starting the relay with its whole pipeline for the end-to-end runs...");
  return withPipeline(async ({ relay, api, metrics, provider, hooks }) => {
    ack.contended = await contendedAckPath(relay, api);
    await drain(metrics);
    const e2e1 = await endToEnd(relay, api, metrics, provider, hooks, 1);
    const e2e3 = await endToEnd(relay, api, metrics, provider, hooks, 3);
    const rateLimit = await rateLimitHeld(relay, api, metrics, provider, hooks);
    await relay.stop();
    const timeouts = [];
    for (const seconds of SETTINGS.batchTimeouts) timeouts.push(await batchTimeoutRun(seconds, provider, hooks));
    const lifetime = await lifetimeRun(provider, hooks);
    const unmetered = await unmeteredRun(provider, hooks);
    const indexDatabases = await indexDatabasesRun(provider, hooks);
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu: os.cpus()[0]?.model,
        memoryGb: round(os.totalmem() / 2 ** 30, 1),
        platform: `${os.platform()} ${os.release()}`,
        node: process.version,
      },
      versions: versions(),
      settings: SETTINGS,
      ackPath: ack,
      endToEnd: { batchTimeoutSeconds: configuredBatchTimeout(), fanout1: e2e1.latency, fanout3: e2e3.latency, unmetered, indexDatabases },
      batchTimeouts: timeouts,
      storage: { fanout1: e2e1.storage, fanout3: e2e3.storage },
      cost: {
        fanout1: e2e1.cost,
        fanout3: e2e3.cost,
        lifetime,
        // A month at steady state deletes as many events as it relays: the bill counts both.
        monthly10M: monthlyBill(lifetime.life, 10e6),
        monthly100M: monthlyBill(lifetime.life, 100e6),
      },
      rateLimit,
      prices: { cloudflare: CLOUDFLARE, gateways: GATEWAYS },
    };
    if (write) {
      print(report);
      mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
      const file = join(ROOT, "bench", "results", `bench-${report.date.replace(/[:.]/g, "-")}.json`);
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`\nJSON: ${file}`);
    }
    return report;
  });
}

/**
 * A relay with its whole pipeline, the provider API and the customer endpoint the bench's sections
 * share, ended (all three) when `fn` is done; `fn` may stop the relay earlier.
 */
async function withPipeline(fn, { vars } = {}) {
  const relay = await startRelay({ vars });
  const api = adminApi(relay);
  const metrics = () => api("GET", "/bench/metrics");
  const provider = await karmacheckApi();
  const hooks = await receiver();
  try {
    return await fn({ relay, api, metrics, provider, hooks });
  } finally {
    provider.close();
    hooks.close();
    await relay.stop();
  }
}

/** The same end-to-end run, smaller, on a relay whose INBOX consumer waits `seconds` for a batch. */
async function batchTimeoutRun(seconds, provider, hooks) {
  const config = configWithBatchTimeout(seconds);
  const relay = await startRelay({ config: config.file });
  try {
    const api = adminApi(relay);
    const metrics = () => api("GET", "/bench/metrics");
    await drain(metrics, 1500);
    const run = await endToEnd(relay, api, metrics, provider, hooks, 1, { events: SETTINGS.timeoutEvents, label: `batch timeout ${seconds} s` });
    return {
      seconds,
      latency: run.latency,
      d1QueriesPerEvent: run.cost.perEvent.d1Queries,
      workerRequestsPerEvent: run.cost.perEvent.workerRequests,
      usdPerMillion: run.cost.usdPerMillion.total,
    };
  } finally {
    await relay.stop();
    config.remove();
  }
}

/** Retention runs these many days after the run: bodies go past 3, dedupe-only receipts past 7, the rest past 30. */
const RETENTION_PASSES_DAYS = [4, 8, 31];
const DAY_MS = 86_400_000;
const RETENTION_CASES_PER_CALL = 1_000;

/**
 * An event's whole life at fan-out 1, on a relay of its own: the end-to-end run, then retention as
 * the hourly cron and each case's alarm run it 4, 8 and 31 days later (POST /bench/retention). Its
 * deletes write rows too (test/platform.test.ts): `retention` prices them, `life` is both.
 */
async function lifetimeRun(provider, hooks) {
  const relay = await startRelay();
  try {
    const api = adminApi(relay);
    const metrics = () => api("GET", "/bench/metrics");
    await drain(metrics, 1500);
    const run = await endToEnd(relay, api, metrics, provider, hooks, 1, { label: "an event's life" });
    await api("POST", "/bench/metrics/reset");
    const deleted = { receipts: 0, indexEvents: 0 };
    for (const days of RETENTION_PASSES_DAYS) {
      const at = Date.now() + days * DAY_MS;
      // The route takes at most 1,000 cases a call; the index's retention runs with the first only.
      for (let i = 0; i < run.caseIds.length; i += RETENTION_CASES_PER_CALL) {
        const cases = run.caseIds.slice(i, i + RETENTION_CASES_PER_CALL);
        const res = await api("POST", "/bench/retention", { at, source_id: run.sourceId, case_ids: cases, index: i === 0 });
        deleted.receipts += res.receipts_deleted;
        deleted.indexEvents += res.index.events ?? 0;
      }
    }
    // The bench's own calls to /bench/retention are no cost of the relay's: deployed, the cron's
    // run is one invocation an hour, and each case's alarm is counted as the object's (its time and request).
    const m = { ...(await metrics()), workerRequests: 0, workerWallMs: 0 };
    const events = run.latency.delivered;
    const retention = costPerEvent(m, events, 0, 1, run.storage);
    const life = costPerEvent(addCounters(run.cost.counters, m), events, run.latency.events, 1, run.storage);
    log(
      `  retention ${RETENTION_PASSES_DAYS.join(", ")} days later: ${deleted.receipts} receipts and ${deleted.indexEvents} index rows deleted; $${retention.usdPerMillion.total} per million events on top of $${run.cost.usdPerMillion.total}`,
    );
    return { passesDays: RETENTION_PASSES_DAYS, deleted, relayed: run.cost, retention, life };
  } finally {
    await relay.stop();
  }
}

/** Two runs' counters added up (the breakdowns by statement too). */
function addCounters(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (typeof v === "number") out[k] = (a[k] ?? 0) + v;
  out.d1QueriesBy = { ...a.d1QueriesBy };
  for (const [k, v] of Object.entries(b.d1QueriesBy ?? {})) out.d1QueriesBy[k] = (out.d1QueriesBy[k] ?? 0) + v;
  out.rowsWrittenBy = { ...a.rowsWrittenBy };
  for (const [k, v] of Object.entries(b.rowsWrittenBy ?? {})) out.rowsWrittenBy[k] = (out.rowsWrittenBy[k] ?? 0) + v;
  return out;
}

/**
 * The end-to-end run at fan-out 1 on a relay with METRICS = "off", as deployed (no binding or
 * statement wrapped for the counters): its latency and the runtime's CPU per event, nothing else.
 */
async function unmeteredRun(provider, hooks) {
  const relay = await startRelay({ vars: { METRICS: "off" } });
  try {
    const api = adminApi(relay);
    const metrics = () => api("GET", "/bench/metrics");
    await drain(metrics, 1500);
    const run = await endToEnd(relay, api, metrics, provider, hooks, 1, { label: "unmetered (METRICS off)" });
    // What the counters still saw (nothing, when metering is off: the figure is the platform's own).
    const counted = { d1Queries: run.cost.counters.d1Queries, doStatements: run.cost.counters.doStatements };
    return { ...run.latency, runtimeCpuMs: run.cost.perEvent.runtimeCpuMs, counted };
  } finally {
    await relay.stop();
  }
}

/**
 * The end-to-end run at fan-out 1 on a relay whose events index has two databases of its own
 * (INDEX_DATABASES = "INDEX_1,INDEX_2"): what a queue batch's second D1 round trip, to the day's
 * index database before the control plane's, costs in latency and queries.
 */
async function indexDatabasesRun(provider, hooks, { own = true, pass = 0 } = {}) {
  const config = configWithIndexDatabases();
  const databases = own ? INDEX_BINDINGS : ["DB"];
  // Every database the config declares is migrated (startRelay), whichever the index uses.
  const relay = await startRelay({ config: config.file, vars: { INDEX_DATABASES: databases.join(",") } });
  try {
    const api = adminApi(relay);
    const metrics = () => api("GET", "/bench/metrics");
    await drain(metrics, 1500);
    const run = await endToEnd(relay, api, metrics, provider, hooks, 1, { label: `index databases (${databases.join(", ")})${pass ? ` run ${pass}` : ""}` });
    return {
      databases,
      // Where the run's index rows are: none may be in the control plane's database.
      indexRows: indexRowsByDatabase(relay),
      ...run.latency,
      d1QueriesPerEvent: run.cost.perEvent.d1Queries,
      // Each database's share of the round trips: D1 has one writer per database.
      d1QueriesPerEventBy: Object.fromEntries(
        Object.entries(run.cost.counters.d1QueriesBy ?? {}).map(([db, n]) => [db, round(n / Math.max(1, run.latency.delivered), 4)]),
      ),
      d1RowsWrittenPerEvent: run.cost.perEvent.d1RowsWritten,
      usdPerMillion: run.cost.usdPerMillion.total,
    };
  } finally {
    await relay.stop();
    config.remove();
  }
}

/**
 * The index's layouts alone (npm run bench -- --only index): the end-to-end run at fan-out 1 with
 * the events index in DB and in two databases of its own, alternating, `--runs` times each; a table
 * on stdout, nothing written.
 */
async function runIndexOnly() {
  const provider = await karmacheckApi();
  const hooks = await receiver();
  const rows = [];
  try {
    // Each run its own cases and messages (the receiver keeps every arrival).
    for (let pass = 1; pass <= SETTINGS.runs; pass++) for (const own of [false, true]) rows.push(await indexDatabasesRun(provider, hooks, { own, pass }));
  } finally {
    provider.close();
    hooks.close();
  }
  console.log(
    `\nThe events index in DB or in databases of its own (fan-out 1, ${SETTINGS.events} events over ${SETTINGS.cases} cases at ${SETTINGS.sendRate}/s, a relay each)\n`,
  );
  console.log(
    table([
      ["INDEX_DATABASES", "p50 ms", "p99 ms", "delivered", "D1 queries/event", "by database", "index rows in DB / own", "$ per M events"],
      ...rows.map((r) => [
        r.databases.join(","),
        r.p50,
        r.p99,
        `${r.delivered}/${r.events}`,
        r.d1QueriesPerEvent,
        Object.entries(r.d1QueriesPerEventBy)
          .map(([db, n]) => `${db} ${n}`)
          .join(", "),
        `${r.indexRows.control} / ${r.indexRows.own}`,
        `$${r.usdPerMillion}`,
      ]),
    ]),
  );
  return { indexLayouts: rows };
}

/** The flow-control section alone (npm run bench -- --only flow): its table on stdout, nothing written. */
function runFlowOnly() {
  return withPipeline(async ({ relay, api, metrics, provider, hooks }) => {
    const rateLimit = await rateLimitHeld(relay, api, metrics, provider, hooks);
    printFlow(rateLimit);
    return { rateLimit };
  });
}

/**
 * The end-to-end run at fan-out 1 alone (npm run bench -- --only cpu), `--runs` times on one relay:
 * per run its latency, rows written and runtime CPU per event, nothing written. With `--profile F`,
 * the runtime's CPU profile over the last run is written to F (open it in Chrome DevTools).
 */
function runCpuOnly() {
  const vars = SETTINGS.unmetered ? { METRICS: "off" } : undefined;
  return withPipeline(
    async ({ relay, api, metrics, provider, hooks }) => {
      const runs = [];
      let statements = {};
      for (let i = 0; i < SETTINGS.runs; i++) {
        const last = i === SETTINGS.runs - 1;
        const profiler = last && SETTINGS.profile ? await startProfile(relay) : null;
        const run = await endToEnd(relay, api, metrics, provider, hooks, 1, { label: `cpu run ${i + 1}` });
        if (profiler) writeFileSync(SETTINGS.profile, JSON.stringify(await profiler.stop()));
        const p = run.cost.perEvent;
        runs.push({
          p50: run.latency.p50,
          delivered: run.latency.delivered,
          runtimeCpuMs: p.runtimeCpuMs,
          objectStatements: p.doStatements,
          objectRows: p.doRowsWritten,
          d1Rows: p.d1RowsWritten,
        });
        if (last) statements = run.cost.counters.statementsBy ?? {};
      }
      console.table(runs);
      // Where the object's statements go, in the last run: per relayed event, how often each ran and the rows it read.
      const events = runs.at(-1)?.delivered || 1;
      if (SETTINGS.unmetered) console.log("METRICS off: rows and statements are not counted.");
      else {
        console.table(
          Object.entries(statements)
            .sort((a, b) => b[1].runs - a[1].runs)
            .map(([statement, v]) => ({ statement: statement.slice(0, 90), perEvent: round(v.runs / events, 2), rowsRead: round(v.rowsRead / events, 1) })),
        );
      }
      if (SETTINGS.profile) console.log(`CPU profile: ${SETTINGS.profile}`);
      return { runs };
    },
    { vars },
  );
}

/** A CPU profile of the relay's runtime, through its inspector (Chrome DevTools protocol). */
async function startProfile(relay) {
  const targets = await (await fetch(`http://127.0.0.1:${relay.inspectorPort}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error("the runtime's inspector lists no target");
  // The inspector proxy only takes DevTools' own origin (Node's WebSocket, undici's, takes headers).
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "https://devtools.devprod.cloudflare.dev" } });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error("could not connect to the runtime's inspector")), { once: true });
  });
  let next = 0;
  const pending = new Map();
  ws.addEventListener("message", ({ data }) => {
    const message = JSON.parse(String(data));
    const waiter = pending.get(message.id);
    if (waiter) {
      pending.delete(message.id);
      message.error ? waiter.reject(new Error(message.error.message)) : waiter.resolve(message.result);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.start");
  return {
    async stop() {
      const { profile } = await send("Profiler.stop");
      ws.close();
      return profile;
    },
  };
}

/** Signed KarmaCheck webhooks over many cases, one in ten an exact repeat (a provider retry); and a load runner. */
async function ackLoad(relay, api, name) {
  const customer = await api("POST", "/v1/customers", { name });
  const secret = `whsec_${Buffer.from(`bench-ack-signing-secret-${name}`).toString("base64")}`;
  const source = await api("POST", "/v1/sources", { customer_id: customer.id, provider: "karmacheck", name, config: { signing_secret: secret } });
  let n = 0;
  const sent = [];
  const nextWebhook = () => {
    if (sent.length > 100 && Math.random() < SETTINGS.duplicateShare) return sent[Math.floor(Math.random() * sent.length)];
    n++;
    const id = `${name}-msg-${n}`;
    const body = caseEvent(`${name}-${n % SETTINGS.ackCases}`, new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(), "Pending", "Reviewing Order", id);
    const req = { body, headers: { "content-type": "application/json", ...signStandard(secret, id, body) } };
    if (sent.length < 5000) sent.push(req);
    return req;
  };
  return (kind, connections, seconds) =>
    new Promise((resolve, reject) => {
      autocannon(
        {
          url: relay.url,
          connections,
          duration: seconds,
          requests: [
            kind === "ingest"
              ? { method: "POST", path: `/in/${source.id}`, setupRequest: (req) => ({ ...req, ...nextWebhook() }) }
              : { method: "POST", path: "/bench/noop", headers: { "content-type": "application/json" }, body: '{"noop":true}' },
          ],
        },
        (err, r) =>
          err ? reject(err) : resolve({ rps: r.requests.total / seconds, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, total: r.requests.total }),
      );
    });
}

/** 1. Ack path: signed webhooks vs a bare route in the same Worker, alternating, medians. */
async function ackPath(relay, api) {
  const run = await ackLoad(relay, api, "ack");
  log(`1/4 ack path: ${SETTINGS.rounds} rounds of ${SETTINGS.seconds}s each, bare then ingest, ${SETTINGS.connections} connections`);
  await run("bare", 2, 1); // warm both paths
  await run("ingest", 2, 1);
  const bare = [];
  const ingest = [];
  for (let r = 0; r < SETTINGS.rounds; r++) {
    bare.push(await run("bare", SETTINGS.connections, SETTINGS.seconds));
    ingest.push(await run("ingest", SETTINGS.connections, SETTINGS.seconds));
    log(`  round ${r + 1}: bare ${round(bare.at(-1).rps, 0)} req/s, ingest ${round(ingest.at(-1).rps, 0)} req/s`);
  }
  const oneBare = await run("bare", 1, SETTINGS.latencySeconds);
  const oneIngest = await run("ingest", 1, SETTINGS.latencySeconds);
  const summary = (runs) => ({
    rps: round(median(runs.map((x) => x.rps)), 1),
    p50: median(runs.map((x) => x.p50)),
    p99: median(runs.map((x) => x.p99)),
    non2xx: runs.reduce((s, x) => s + x.non2xx, 0),
  });
  const b = summary(bare);
  const i = summary(ingest);
  return {
    bare: b,
    ingest: i,
    ratio: round(i.rps / b.rps, 3),
    oneConnection: {
      bare: { p50: oneBare.p50, p99: oneBare.p99, rps: round(oneBare.rps, 1) },
      ingest: { p50: oneIngest.p50, p99: oneIngest.p99, rps: round(oneIngest.rps, 1) },
    },
    webhooksSent: ingest.reduce((s, x) => s + x.total, 0),
  };
}

/** The same, once, with the whole pipeline processing what it accepts on the same 2 cores (context, not the target). */
async function contendedAckPath(relay, api) {
  const run = await ackLoad(relay, api, "contended");
  await run("bare", 2, 1);
  const bare = await run("bare", SETTINGS.connections, SETTINGS.seconds);
  const ingest = await run("ingest", SETTINGS.connections, SETTINGS.seconds);
  log(`  with the pipeline on the same cores: bare ${round(bare.rps, 0)} req/s, ingest ${round(ingest.rps, 0)} req/s`);
  return { bare: round(bare.rps, 1), ingest: round(ingest.rps, 1), ratio: round(ingest.rps / bare.rps, 3) };
}

/** Waits until the queue consumers have gone quiet (bounded). */
async function drain(metrics, quietMs = 3000) {
  let last = -1;
  let since = Date.now();
  await waitFor(
    async () => {
      const m = await metrics();
      const activity = m.consumerInvocations + m.doRequests;
      if (activity !== last) {
        last = activity;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    { timeout: 300_000, interval: 250, what: "the queues to drain" },
  );
}

/** The SQLite files of a relay's local state: its D1 database, and one database per case object. */
function stateFiles(relay) {
  const d1Dir = join(relay.stateDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const d1 = readdirSync(d1Dir)
    .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    .map((f) => join(d1Dir, f));
  const doDir = join(relay.stateDir, "v3", "do", "caserelay-CaseObject");
  const objects = existsSync(doDir)
    ? readdirSync(doDir)
        .filter((f) => f.endsWith(".sqlite"))
        .map((f) => join(doDir, f))
    : [];
  return { d1, objects };
}

/** What `fn` reads of a SQLite file, from a copy with its write-ahead log (see pagesOf). */
function readCopy(file, fn) {
  const dir = mkdtempSync(join(os.tmpdir(), "caserelay-read-"));
  const base = file.split("/").pop();
  for (const ext of ["", "-wal", "-shm"]) if (existsSync(file + ext)) copyFileSync(file + ext, join(dir, base + ext));
  const db = new DatabaseSync(join(dir, base));
  try {
    return fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Events index rows in the relay's control plane database (the one with customers) and in the others. */
function indexRowsByDatabase(relay) {
  const where = { control: 0, own: 0 };
  for (const file of stateFiles(relay).d1) {
    readCopy(file, (db) => {
      const has = (t) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !== undefined;
      if (!has("events")) return;
      where[has("customers") ? "control" : "own"] += Number(db.prepare("SELECT count(*) AS n FROM events").get().n);
    });
  }
  return where;
}

/**
 * Bytes of pages a SQLite database holds, per table or index (dbstat: what the database really
 * takes, not payload). Read from a copy with its write-ahead log, which the running relay has not
 * checkpointed yet. `__miniflare_*` tables exist only locally and are left out.
 */
function pagesOf(file) {
  return readCopy(file, (db) => {
    const rows = db.prepare("SELECT name, SUM(pgsize) AS bytes, SUM(payload) AS payload FROM dbstat GROUP BY name").all();
    return Object.fromEntries(rows.filter((r) => !r.name.startsWith("__miniflare")).map((r) => [r.name, { bytes: r.bytes, payload: r.payload }]));
  });
}

/**
 * What the relay keeps, in pages: D1 (control plane and index, by table) and the case objects'
 * databases (all of them, and their count). Deltas around a run divide by its events.
 */
function storedPages(relay) {
  const { d1, objects } = stateFiles(relay);
  const d1Tables = {};
  let d1Payload = 0;
  for (const f of d1) {
    for (const [name, { bytes, payload }] of Object.entries(pagesOf(f))) {
      d1Tables[name] = (d1Tables[name] ?? 0) + bytes;
      d1Payload += payload;
    }
  }
  let objectBytes = 0;
  for (const f of objects) objectBytes += Object.values(pagesOf(f)).reduce((a, b) => a + b.bytes, 0);
  return { d1Tables, d1Payload, objectBytes, objects: objects.length };
}

function storageDelta(before, after, events, cases) {
  const tables = {};
  for (const [name, bytes] of Object.entries(after.d1Tables)) {
    const delta = bytes - (before.d1Tables[name] ?? 0);
    if (delta) tables[name] = delta;
  }
  const d1Bytes = Object.values(tables).reduce((a, b) => a + b, 0);
  const objectBytes = after.objectBytes - before.objectBytes;
  return {
    d1BytesPerEvent: round(d1Bytes / events, 0),
    // Payload moves with every row written; pages only when one fills, so a small run may add none.
    d1PayloadBytesPerEvent: round((after.d1Payload - before.d1Payload) / events, 0),
    d1TablesBytesPerEvent: Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, round(v / events, 1)])),
    objectBytesPerEvent: round(objectBytes / events, 0),
    objectBytesPerCase: round(objectBytes / Math.max(1, cases), 0),
    objectsCreated: after.objects - before.objects,
  };
}

/**
 * What became of webhooks that did not arrive, by outcome (`forwarded` here means sent but not
 * arrived yet), from their cases' trails. Bench message ids are `<tag>-msg-<i>`, their case
 * `<tag>-case-<i % cases>`.
 */
async function outcomesOf(api, sourceId, ids, cases) {
  const byCase = new Map();
  for (const id of ids) {
    const [, tag, i] = /^(.*)-msg-(\d+)$/.exec(id);
    const caseId = `${tag}-case-${Number(i) % cases}`;
    byCase.set(caseId, [...(byCase.get(caseId) ?? []), id]);
  }
  const counts = {};
  for (const [caseId, wanted] of byCase) {
    const trail = await api("GET", `/v1/cases/${sourceId}/${encodeURIComponent(caseId)}`);
    for (const id of wanted) {
      const outcome = trail.receipts.find((r) => r.provider_event_id === id)?.outcome ?? "pending";
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
  }
  return counts;
}

/** 2 and 3. N events over M cases, provider API in a few ms; latency from the provider's POST to the endpoint's 2xx; costs counted. */
async function endToEnd(relay, api, metrics, provider, hooks, fanout, opts = {}) {
  const EVENTS = opts.events ?? SETTINGS.events;
  const CASES = Math.min(SETTINGS.cases, EVENTS);
  const tag = opts.label ? opts.label.replace(/\W+/g, "-") : `f${fanout}`;
  const customer = await api("POST", "/v1/customers", { name: `bench-e2e-${tag}` });
  const secret = `whsec_${Buffer.from(`bench-e2e-signing-secret-${fanout}-012345`).toString("base64")}`;
  const source = await api("POST", "/v1/sources", {
    customer_id: customer.id,
    provider: "karmacheck",
    name: `e2e-${tag}`,
    config: { signing_secret: secret, api: { base_url: provider.url, api_key: "bench-key", client_access_token: "bench-token" } },
  });
  for (let e = 0; e < fanout; e++) await api("POST", "/v1/endpoints", { customer_id: customer.id, url: `${hooks.url}/hooks/${fanout}/${e}` });
  const secondaries = ["Waiting for Authorization", "Authorization in Progress", null, "Reviewing Order"];
  const sentAt = new Map();
  const prefix = `${tag}-`;
  await drain(metrics, 1500);
  await api("POST", "/bench/metrics/reset");
  const before = storedPages(relay);
  const cpuBefore = relay.runtimeCpuMs();
  log(
    `${opts.label ?? `end to end, fan-out ${fanout}`}: ${EVENTS} events over ${CASES} cases at ${SETTINGS.sendRate}/s, provider API ${SETTINGS.providerLatencyMs} ms`,
  );
  const started = performance.now();
  let accepted = 0;
  const inflight = new Set();
  for (let i = 0; i < EVENTS; i++) {
    const due = started + (i * 1000) / SETTINGS.sendRate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const caseId = `${prefix}case-${i % CASES}`;
    const step = Math.floor(i / CASES);
    const modStamp = new Date(Date.UTC(2024, 0, 1) + step * 60_000).toISOString();
    const secondary = secondaries[step % secondaries.length];
    // The provider's state moves on, then it sends the webhook.
    provider.cases.set(caseId, { id: caseId, caseStatus: "Pending", secondaryStatus: secondary, modStamp, groupProfileId: "bench" });
    const id = `${prefix}msg-${i}`;
    const body = caseEvent(caseId, modStamp, "Pending", secondary, id);
    const p = (async () => {
      sentAt.set(id, performance.now());
      const res = await fetch(`${relay.url}/in/${source.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signStandard(secret, id, body) },
        body,
      });
      await res.arrayBuffer();
      if (res.ok) accepted++;
    })();
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
  const expected = EVENTS * fanout;
  const received = () => [...hooks.arrivals.keys()].filter((k) => k.startsWith(prefix)).length;
  // Every webhook either arrives or has an outcome that says why not: the provider's state had
  // moved on before it was refetched, so an earlier webhook already forwarded it (`unchanged`).
  let outcomes = {};
  let checked = 0;
  await waitFor(
    async () => {
      if (received() >= EVENTS) return true;
      if (performance.now() - checked < 5000) return false;
      checked = performance.now();
      outcomes = await outcomesOf(
        api,
        source.id,
        [...sentAt.keys()].filter((id) => !hooks.arrivals.has(id)),
        CASES,
      );
      return !outcomes.pending && !outcomes.forwarded;
    },
    { timeout: 120_000, interval: 100, what: "deliveries" },
  ).catch(() => log(`  only ${received()} of ${EVENTS} events arrived: ${JSON.stringify(outcomes)}`));
  await drain(metrics);
  const m = await metrics();
  const cpuAfter = relay.runtimeCpuMs();
  const latencies = [...sentAt].filter(([id]) => hooks.arrivals.has(id)).map(([id, t]) => hooks.arrivals.get(id) - t);
  const events = latencies.length;
  const storage = storageDelta(before, storedPages(relay), events, CASES);
  const latency = {
    events: EVENTS,
    cases: CASES,
    accepted,
    delivered: events,
    deliveriesExpected: expected,
    /** The webhooks that forwarded nothing, by outcome (`unchanged`: an earlier one already forwarded the state). */
    notForwarded: received() >= EVENTS ? {} : outcomes,
    p50: round(percentile(latencies, 50), 1),
    p99: round(percentile(latencies, 99), 1),
    max: round(Math.max(...latencies), 1),
  };
  log(
    `  delivered ${events}/${EVENTS}${
      Object.keys(latency.notForwarded).length
        ? ` (the rest: ${Object.entries(latency.notForwarded)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ")})`
        : ""
    }: p50 ${latency.p50} ms, p99 ${latency.p99} ms; D1 ${storage.d1BytesPerEvent} B/event (${storage.d1PayloadBytesPerEvent} B of rows), objects ${storage.objectBytesPerEvent} B/event`,
  );
  const cpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  const caseIds = Array.from({ length: CASES }, (_, i) => `${prefix}case-${i}`);
  return { latency, storage, cost: costPerEvent(m, events, EVENTS, fanout, storage, cpuMs), sourceId: source.id, caseIds };
}

/**
 * 4. Flow control: an endpoint limited to 10 events/s gets a burst of `rateEvents` deliveries over
 * `rateCases` cases at once (recorded while it was paused, then resumed), and the arrivals say how
 * closely the limit is held: the average rate from first to last, the busiest second, and whether
 * each case's events still arrived in order.
 */
async function rateLimitHeld(relay, api, metrics, provider, hooks) {
  const S = SETTINGS;
  const customer = await api("POST", "/v1/customers", { name: "bench-rate-limit" });
  const secret = `whsec_${Buffer.from("bench-rate-limit-signing-secret-0123").toString("base64")}`;
  const source = await api("POST", "/v1/sources", {
    customer_id: customer.id,
    provider: "karmacheck",
    name: "rate-limit",
    config: { signing_secret: secret, api: { base_url: provider.url, api_key: "bench-key", client_access_token: "bench-token" } },
  });
  const path = "/hooks/log/rate";
  const endpoint = await api("POST", "/v1/endpoints", { customer_id: customer.id, url: `${hooks.url}${path}`, rate_limit: { per_second: S.rateLimit } });
  await api("PATCH", `/v1/endpoints/${endpoint.id}`, { status: "paused" });
  const perCase = Math.ceil(S.rateEvents / S.rateCases);
  log(`4/4 flow control: ${S.rateEvents} events over ${S.rateCases} cases held for an endpoint limited to ${S.rateLimit}/s, then released at once`);
  const secondaries = ["Waiting for Authorization", "Authorization in Progress", null, "Reviewing Order"];
  // One round per event of each case, each round processed before the next: every event is news.
  for (let step = 0; step < perCase; step++) {
    const modStamp = new Date(Date.UTC(2024, 1, 1) + step * 60_000).toISOString();
    const sends = [];
    for (let c = 0; c < S.rateCases && step * S.rateCases + c < S.rateEvents; c++) {
      const caseId = `rate-case-${c}`;
      provider.cases.set(caseId, {
        id: caseId,
        caseStatus: "Pending",
        secondaryStatus: secondaries[step % secondaries.length],
        modStamp,
        groupProfileId: "bench",
      });
      const id = `rate-msg-${step}-${c}`;
      const body = caseEvent(caseId, modStamp, "Pending", secondaries[step % secondaries.length], id);
      sends.push(
        fetch(`${relay.url}/in/${source.id}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...signStandard(secret, id, body) },
          body,
        }).then((r) => r.arrayBuffer()),
      );
      if (sends.length >= 50) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
    await drain(metrics, 1500);
  }
  const mine = () => hooks.log.filter((a) => a.path === path);
  await api("PATCH", `/v1/endpoints/${endpoint.id}`, { status: "active" });
  const expected = S.rateEvents;
  const timeout = (expected / S.rateLimit) * 1000 * 2 + 60_000;
  await waitFor(() => mine().length >= expected, { timeout, interval: 200, what: "the rate-limited deliveries" }).catch(() =>
    log(`  only ${mine().length} of ${expected} arrived`),
  );
  const arrivals = mine();
  const held = (times) => {
    const t = [...times].sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i] - t[j] >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    const spanS = (t.at(-1) - t[0]) / 1000;
    return { spanS: round(spanS, 1), averagePerS: round((t.length - 1) / spanS, 2), busiestSecond: busiest };
  };
  // When the endpoint's limiter let each attempt go (the relay's own clock), and when each arrived.
  const granted = held((await api("GET", `/bench/limiter/${endpoint.id}`)).recentGrants);
  const arrived = held(arrivals.map((a) => a.at));
  const byCase = new Map();
  for (const a of arrivals) byCase.set(a.caseId, [...(byCase.get(a.caseId) ?? []), a.sequence]);
  const inOrder = [...byCase.values()].filter((seqs) => seqs.every((s, i) => i === 0 || s > seqs[i - 1])).length;
  const deviation = (x) => round((x.averagePerS / S.rateLimit - 1) * 100, 1);
  const result = {
    limitPerS: S.rateLimit,
    events: expected,
    cases: S.rateCases,
    delivered: arrivals.length,
    granted: { ...granted, deviationPercent: deviation(granted) },
    arrived: { ...arrived, deviationPercent: deviation(arrived) },
    casesInOrder: inOrder,
  };
  log(
    `  delivered ${result.delivered}/${expected}, ${inOrder}/${byCase.size} cases in order; granted ${granted.averagePerS}/s over ${granted.spanS} s (busiest second ${granted.busiestSecond}), arrived ${arrived.averagePerS}/s (busiest second ${arrived.busiestSecond})`,
  );
  return result;
}

/** What one relayed event costs, from the counters, with the list prices. */
function costPerEvent(m, events, webhooks, fanout, storage, runtimeCpuMs = null) {
  const per = (x) => x / events;
  const P = CLOUDFLARE;
  const units = {
    workerRequests: per(webhooks + m.consumerInvocations),
    workerWallMs: per(m.workerWallMs),
    // CPU of the local runtime's processes over the run (ingest, consumers, objects, and wrangler's
    // proxy Worker), counted by the OS: the whole pipeline's CPU per relayed event.
    runtimeCpuMs: runtimeCpuMs === null ? null : per(runtimeCpuMs),
    queueOps: per(3 * m.queueMessagesSent + m.queueRetries),
    d1Queries: per(m.d1Queries),
    d1RowsWritten: per(m.d1RowsWritten),
    d1RowsRead: per(m.d1RowsRead),
    doRequests: per(m.doRequests),
    doGbSeconds: per((m.doActiveMs / 1000) * P.durableObjects.memoryGb),
    // Rows the objects' SQL wrote (tables made for a new case included), and each alarm set, priced as a row.
    doRowsWritten: per(m.doRowsWritten + m.doAlarmsSet),
    doRowsRead: per(m.doRowsRead),
    // SQL statements the case objects ran (each one a call into the object's SQLite).
    doStatements: per(m.doStatements ?? 0),
    // Pages are what D1 keeps; a run too small to fill one counts its rows' payload instead.
    d1BytesKept: Math.max(storage.d1BytesPerEvent, storage.d1PayloadBytesPerEvent),
    // Of which the events index (its share of the pages), which INDEX_DATABASES can spread out.
    d1IndexBytesKept: Math.max(storage.d1BytesPerEvent, storage.d1PayloadBytesPerEvent) * indexShare(storage),
    objectBytesKept: storage.objectBytesPerEvent,
  };
  // $ per million relayed events, beyond the plan's allowances (marginal cost).
  const usd = {
    workerRequests: units.workerRequests * P.workers.perMillionRequests,
    queueOps: units.queueOps * P.queues.perMillionOps,
    d1RowsWritten: units.d1RowsWritten * P.d1.perMillionRowsWritten,
    d1RowsRead: units.d1RowsRead * P.d1.perMillionRowsRead,
    doRequests: units.doRequests * P.durableObjects.perMillionRequests,
    doDuration: units.doGbSeconds * P.durableObjects.perMillionGbSeconds,
    doRowsWritten: units.doRowsWritten * P.durableObjects.perMillionRowsWritten,
    doRowsRead: units.doRowsRead * P.durableObjects.perMillionRowsRead,
  };
  const total = Object.values(usd).reduce((a, b) => a + b, 0);
  return {
    fanout,
    events,
    webhooks,
    counters: m,
    perEvent: Object.fromEntries(Object.entries(units).map(([k, v]) => [k, round(v, 4)])),
    rowsWrittenPerEvent: Object.fromEntries(
      Object.entries(m.rowsWrittenBy ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, round(per(v), 3)]),
    ),
    usdPerMillion: { ...Object.fromEntries(Object.entries(usd).map(([k, v]) => [k, round(v, 3)])), total: round(total, 2) },
  };
}

/** Where a month's D1 rows live, in words. */
function indexLayout(c) {
  const limit = `${c.d1DatabaseLimitGb} GB`;
  const over = (gb) => (gb > c.d1DatabaseLimitGb ? `, more than one database's ${limit}` : "");
  const control = `the control plane ${c.d1ControlGb} GB${over(c.d1ControlGb)}`;
  if (!c.d1Index.ownDatabases) {
    const both = `the control plane ${c.d1ControlGb} GB with the events index ${c.d1IndexGb} GB`;
    return c.d1Gb > c.d1DatabaseLimitGb ? `${both}${over(c.d1Gb)}` : `one database of ${limit}: ${both}`;
  }
  const n = c.d1Index.databases;
  return `${control} in DB; the events index ${c.d1IndexGb} GB over ${n} database${n === 1 ? "" : "s"} of its own (INDEX_DATABASES), at most ${c.d1Index.gbPerDatabase} GB each of ${limit}`;
}

/** The events table's share of the D1 pages a run added. */
function indexShare(storage) {
  const tables = storage.d1TablesBytesPerEvent ?? {};
  const all = Object.values(tables).reduce((a, b) => a + b, 0);
  return all ? (tables.events ?? 0) / all : 0;
}

/** EVENT_RETENTION_DAYS as wrangler.toml sets it. */
const RETENTION_DAYS = 30;
/** Each database kept below this share of D1's limit: room for a busier month than the one priced. */
const DATABASE_FILL = 0.8;

/**
 * The events index of a month kept `RETENTION_DAYS` over databases of its own (INDEX_DATABASES,
 * src/db/index-shards.ts): an event's UTC day picks one, so of the 31 calendar days a window of 30
 * touches one database holds at most ceil(31 / n). The fewest databases that keep each below
 * DATABASE_FILL of the limit; one means the control plane's own database can hold it beside the rest.
 */
function indexDatabasesFor(indexGb, controlGb, limitGb) {
  const fill = DATABASE_FILL * limitGb;
  if (indexGb + controlGb <= fill || indexGb === 0) return { databases: 1, ownDatabases: false, gbPerDatabase: round(indexGb, 2) };
  let n = 1;
  const largest = (k) => (indexGb * Math.min(RETENTION_DAYS, Math.ceil((RETENTION_DAYS + 1) / k))) / RETENTION_DAYS;
  while (largest(n) > fill) n++;
  return { databases: n, ownDatabases: true, gbPerDatabase: round(largest(n), 2) };
}

/**
 * A month at `volume` relayed events (fan-out 1): Workers Paid base, allowances, overage, and what
 * is kept for the retention: the D1 index for EVENT_RETENTION_DAYS (30), the case objects' records
 * likewise (bodies go after 3 days: counted as kept, an upper bound). One D1 database holds 10 GB.
 */
function monthlyBill(cost, volume) {
  const P = CLOUDFLARE;
  const u = cost.perEvent;
  const over = (used, included, perMillion) => (Math.max(0, used - included) / 1e6) * perMillion;
  // In GB of 10^9 bytes, the unit of the prices and of D1's limit.
  const d1Gb = (u.d1BytesKept * volume) / 1e9;
  const indexGb = (u.d1IndexBytesKept * volume) / 1e9;
  const objectGb = (u.objectBytesKept * volume) / 1e9;
  const lines = {
    base: P.plan.monthly,
    workerRequests: over(u.workerRequests * volume, P.workers.includedRequests, P.workers.perMillionRequests),
    workerCpu: over(u.workerWallMs * volume, P.workers.includedCpuMs, P.workers.perMillionCpuMs),
    queueOps: over(u.queueOps * volume, P.queues.includedOps, P.queues.perMillionOps),
    d1RowsWritten: over(u.d1RowsWritten * volume, P.d1.includedRowsWritten, P.d1.perMillionRowsWritten),
    d1RowsRead: over(u.d1RowsRead * volume, P.d1.includedRowsRead, P.d1.perMillionRowsRead),
    d1Storage: Math.max(0, d1Gb - P.d1.includedGb) * P.d1.perGbMonth,
    doRequests: over(u.doRequests * volume, P.durableObjects.includedRequests, P.durableObjects.perMillionRequests),
    doDuration: over(u.doGbSeconds * volume, P.durableObjects.includedGbSeconds, P.durableObjects.perMillionGbSeconds),
    doRowsWritten: over(u.doRowsWritten * volume, P.durableObjects.includedRowsWritten, P.durableObjects.perMillionRowsWritten),
    doRowsRead: over(u.doRowsRead * volume, P.durableObjects.includedRowsRead, P.durableObjects.perMillionRowsRead),
    doStorage: Math.max(0, objectGb - P.durableObjects.includedGb) * P.durableObjects.perGbMonth,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  const millions = volume / 1e6;
  const G = GATEWAYS;
  return {
    volume,
    caserelay: {
      lines: Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, round(v, 2)])),
      total: round(total, 2),
      d1Gb: round(d1Gb, 2),
      d1BytesPerEvent: u.d1BytesKept,
      objectBytesPerEvent: u.objectBytesKept,
      d1DatabaseLimitGb: P.d1.maxDatabaseGb,
      // The control plane's database, and the events index: in it, or over INDEX_DATABASES of its own.
      d1ControlGb: round(d1Gb - indexGb, 2),
      d1IndexGb: round(indexGb, 2),
      d1Index: indexDatabasesFor(indexGb, d1Gb - indexGb, P.d1.maxDatabaseGb),
      objectGb: round(objectGb, 2),
    },
    hookdeck: {
      low: round(G.hookdeck.plans[0] + millions * G.hookdeck.overagePerMillion[0], 0),
      high: round(G.hookdeck.plans[1] + millions * G.hookdeck.overagePerMillion[1], 0),
    },
    svix: { low: G.svix.plans[0], high: round(G.svix.plans[0] + millions * G.svix.overagePerMillion[0], 0) },
  };
}

function versions() {
  const bin = (name, flag = "--version") => {
    try {
      return execFileSync(join(ROOT, "node_modules", ".bin", name), [flag], {
        encoding: "utf8",
        timeout: 30_000,
        env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
      })
        .trim()
        .split("\n")
        .pop();
    } catch {
      return "unknown";
    }
  };
  return { wrangler: bin("wrangler"), workerd: bin("workerd"), autocannon: "9.0.0" };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ")).join("\n");
}

function print(r) {
  const a = r.ackPath;
  console.log(
    `\ncaserelay bench, ${r.date} — ${r.machine.cpus} cores (${r.machine.cpu}), ${r.machine.memoryGb} GiB, Node ${r.machine.node}, wrangler ${r.versions.wrangler}, workerd ${r.versions.workerd}`,
  );
  console.log(
    `\n1. Ack path (wrangler dev, loopback; median of ${r.settings.rounds} alternating rounds of ${r.settings.seconds} s, ${r.settings.connections} connections)\n`,
  );
  console.log(
    table([
      ["route", "req/s", "p50 ms", "p99 ms", "1-conn p50", "1-conn p99", "non-2xx"],
      ["bare POST /bench/noop", a.bare.rps, a.bare.p50, a.bare.p99, a.oneConnection.bare.p50, a.oneConnection.bare.p99, a.bare.non2xx],
      [
        "ingest POST /in/{source} (signed KarmaCheck)",
        a.ingest.rps,
        a.ingest.p50,
        a.ingest.p99,
        a.oneConnection.ingest.p50,
        a.oneConnection.ingest.p99,
        a.ingest.non2xx,
      ],
      ["ratio ingest / bare", a.ratio, "", "", "", "", ""],
    ]),
  );
  console.log(
    `\n   The INBOX queue is drained by a bench Worker during these runs. With the whole pipeline also processing on the same\n   ${r.machine.cpus} cores: bare ${a.contended.bare} req/s, ingest ${a.contended.ingest} req/s (ratio ${a.contended.ratio}); deployed, consumers run elsewhere.`,
  );
  console.log(
    `\n2. End to end (provider POST to endpoint 2xx; provider API answers in ${r.settings.providerLatencyMs} ms; INBOX max_batch_timeout ${r.endToEnd.batchTimeoutSeconds} s)\n`,
  );
  const e1 = r.endToEnd.fanout1;
  const e3 = r.endToEnd.fanout3;
  console.log(
    table([
      ["fan-out", "events", "cases", "delivered", "p50 ms", "p99 ms", "max ms"],
      [1, e1.events, e1.cases, e1.delivered, e1.p50, e1.p99, e1.max],
      [3, e3.events, e3.cases, e3.delivered, e3.p50, e3.p99, e3.max],
    ]),
  );
  if (r.batchTimeouts.length) {
    console.log("\n   What the INBOX queue's max_batch_timeout trades (fan-out 1, smaller runs, a relay each):\n");
    console.log(
      table([
        ["max_batch_timeout", "events", "p50 ms", "p99 ms", "D1 queries/event", "Worker requests/event", "$ per M events"],
        ...r.batchTimeouts.map((t) => [
          `${t.seconds} s`,
          t.latency.delivered,
          t.latency.p50,
          t.latency.p99,
          t.d1QueriesPerEvent,
          t.workerRequestsPerEvent,
          `$${t.usdPerMillion}`,
        ]),
      ]),
    );
  }
  const ix = r.endToEnd.indexDatabases;
  if (ix) {
    console.log(
      `\n   With the events index in databases of its own (INDEX_DATABASES = "${ix.databases.join(",")}", fan-out 1, a relay of its own): p50 ${ix.p50} ms, p99 ${ix.p99} ms, ${ix.delivered}/${ix.events} delivered (index rows: ${ix.indexRows.own} in its databases, ${ix.indexRows.control} in DB); D1 ${ix.d1QueriesPerEvent} queries per event (${Object.entries(
        ix.d1QueriesPerEventBy,
      )
        .map(([db, n]) => `${db} ${n}`)
        .join(", ")}) and ${ix.d1RowsWrittenPerEvent} rows written, $${ix.usdPerMillion} per million events.`,
    );
  }
  console.log(`\n3. Cost per relayed event (counted) and $ per million events (list prices ${r.prices.cloudflare.date}, beyond allowances)\n`);
  const c1 = r.cost.fanout1;
  const c3 = r.cost.fanout3;
  const line = (label, key, usdKey) => [
    label,
    c1.perEvent[key] ?? "n/a",
    usdKey ? `$${c1.usdPerMillion[usdKey]}` : "",
    c3.perEvent[key] ?? "n/a",
    usdKey ? `$${c3.usdPerMillion[usdKey]}` : "",
  ];
  console.log(
    table([
      ["per event", "fan-out 1", "$/M", "fan-out 3", "$/M"],
      line("Worker requests (ingest + consumer batches)", "workerRequests", "workerRequests"),
      line("queue operations (3 per message + retries)", "queueOps", "queueOps"),
      line("D1 queries (round trips)", "d1Queries", null),
      line("D1 rows written", "d1RowsWritten", "d1RowsWritten"),
      line("D1 rows read", "d1RowsRead", "d1RowsRead"),
      line("Durable Object requests (RPC calls and alarms)", "doRequests", "doRequests"),
      line("Durable Object GB-s (wall time while busy)", "doGbSeconds", "doDuration"),
      line("Durable Object rows written (and alarms set)", "doRowsWritten", "doRowsWritten"),
      line("Durable Object rows read", "doRowsRead", "doRowsRead"),
      line("Worker wall ms (upper bound of billed CPU)", "workerWallMs", null),
      line("runtime CPU ms (the local workerd processes, all of the pipeline)", "runtimeCpuMs", null),
      ["total $ per million relayed events", "", `$${c1.usdPerMillion.total}`, "", `$${c3.usdPerMillion.total}`],
    ]),
  );
  console.log("\n   Rows written per event, by statement (D1 and the case objects; each row is billed alike):\n");
  console.log(
    table([
      ["statement", "fan-out 1", "fan-out 3"],
      ...Object.keys({ ...c1.rowsWrittenPerEvent, ...c3.rowsWrittenPerEvent }).map((k) => [k, c1.rowsWrittenPerEvent[k] ?? 0, c3.rowsWrittenPerEvent[k] ?? 0]),
    ]),
  );
  const u = r.endToEnd.unmetered;
  console.log(
    `\n   With METRICS off, as deployed (a relay of its own, fan-out 1): runtime CPU ${u.runtimeCpuMs} ms per event (metered above: ${c1.perEvent.runtimeCpuMs}), p50 ${u.p50} ms, ${u.delivered}/${u.events} delivered.`,
  );
  const lt = r.cost.lifetime;
  console.log(
    `\n   An event's life (fan-out 1, a relay of its own): relayed, then retention ${lt.passesDays.join(", ")} days later (${lt.deleted.receipts} receipts, ${lt.deleted.indexEvents} index rows deleted)\n`,
  );
  console.log(
    table([
      ["per event", "relayed", "retention", "life", "life $/M"],
      ...[
        ["D1 rows written", "d1RowsWritten", "d1RowsWritten"],
        ["Durable Object rows written (and alarms set)", "doRowsWritten", "doRowsWritten"],
        ["Durable Object requests (RPC calls and alarms)", "doRequests", "doRequests"],
      ].map(([label, key, usdKey]) => [
        label,
        lt.relayed.perEvent[key],
        lt.retention.perEvent[key],
        lt.life.perEvent[key],
        `$${lt.life.usdPerMillion[usdKey]}`,
      ]),
      ["total $ per million events", `$${lt.relayed.usdPerMillion.total}`, `$${lt.retention.usdPerMillion.total}`, `$${lt.life.usdPerMillion.total}`, ""],
    ]),
  );
  console.log("\n   Retention's rows by statement, per event:\n");
  console.log(table([["statement", "rows"], ...Object.entries(lt.retention.rowsWrittenPerEvent).map(([k, v]) => [k, v])]));
  const perHundredMs = 0.1 * r.prices.cloudflare.durableObjects.memoryGb * r.prices.cloudflare.durableObjects.perMillionGbSeconds;
  console.log(
    `\n   Counted on one local isolate, where objects also wait for each other's CPU. Deployed, an object's duration is its\n   own work plus waiting on the provider API (here ${r.settings.providerLatencyMs} ms) and the endpoint's first answer: each 100 ms of waiting adds $${perHundredMs.toFixed(2)} per million events.`,
  );
  const s1 = r.storage.fanout1;
  const s3 = r.storage.fanout3;
  console.log(
    "\n4. What is kept per event, in SQLite pages (D1 also in row payload, which small runs move before pages): D1's index and control plane, and the case objects\n",
  );
  console.log(
    table([
      ["kept", "fan-out 1", "fan-out 3"],
      ["D1 bytes per event", s1.d1BytesPerEvent, s3.d1BytesPerEvent],
      ["D1 row payload per event", s1.d1PayloadBytesPerEvent, s3.d1PayloadBytesPerEvent],
      ...Object.keys({ ...s1.d1TablesBytesPerEvent, ...s3.d1TablesBytesPerEvent }).map((t) => [
        `  ${t}`,
        s1.d1TablesBytesPerEvent[t] ?? 0,
        s3.d1TablesBytesPerEvent[t] ?? 0,
      ]),
      ["case object bytes per event", s1.objectBytesPerEvent, s3.objectBytesPerEvent],
      ["case object bytes per case", s1.objectBytesPerCase, s3.objectBytesPerCase],
    ]),
  );
  for (const b of [r.cost.monthly10M, r.cost.monthly100M]) {
    console.log(
      `\nA month of ${b.volume / 1e6} million events at fan-out 1, retention's deletes included (Workers Paid: $5 base, allowances counted; kept 30 days at the event's-life run's ${b.caserelay.d1BytesPerEvent} B of D1 and ${b.caserelay.objectBytesPerEvent} B of case object per event: D1 ${b.caserelay.d1Gb} GB (${indexLayout(b.caserelay)}), case objects ${b.caserelay.objectGb} GB)\n`,
    );
    console.log(
      table([
        ["", "$ / month"],
        ...Object.entries(b.caserelay.lines).map(([k, v]) => [`  caserelay ${k}`, v.toFixed(2)]),
        ["caserelay total", b.caserelay.total.toFixed(2)],
        [
          `Hookdeck (plans $${r.prices.gateways.hookdeck.plans.join("-")}, $${r.prices.gateways.hookdeck.overagePerMillion.join("-")}/M over; ${r.prices.gateways.date})`,
          `${b.hookdeck.low}-${b.hookdeck.high}`,
        ],
        [
          `Svix (from $${r.prices.gateways.svix.plans[0]}, ~$${r.prices.gateways.svix.overagePerMillion[0]}/M over; ${r.prices.gateways.date})`,
          `${b.svix.low}-${b.svix.high}`,
        ],
      ]),
    );
  }
  printFlow(r.rateLimit);
}

function printFlow(rl) {
  console.log(
    `\n5. Flow control (an endpoint limited to ${rl.limitPerS} events/s; ${rl.events} deliveries over ${rl.cases} cases released at once; ${rl.delivered} delivered, ${rl.casesInOrder}/${rl.cases} cases in order)\n`,
  );
  const row = (label, x) => [label, `${x.spanS} s`, `${x.averagePerS}/s`, `${x.deviationPercent} %`, x.busiestSecond];
  console.log(
    table([
      ["", "first to last", "average", "vs limit", "busiest second"],
      row("granted by the endpoint's limiter", rl.granted),
      row("arrived at the endpoint", rl.arrived),
    ]),
  );
}

const isMain = process.argv[1] && import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  runBench(benchSettings(process.argv.slice(2))).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
