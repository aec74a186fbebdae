/**
 * Chaos: 200+ provider events over 36 cases of the four seed providers go through the real pipeline
 * (ingest, the INBOX queue of the Vitest integration, CaseObjects, D1) while provider APIs fail ~30 %
 * of calls, customer endpoints fail ~50 % of attempts, one endpoint answers 410 for a while, the
 * consumer fails three ways, index writes to D1 fail, and every case object is reset between waves.
 * Then: nothing accepted is lost, every event is accounted for, each endpoint sees each case's
 * sequence only go up, and ends with the provider's final state.
 *
 * Time: retries have real delays (inbox 10 s+, deliveries 5 s to hours). Nothing waits for them: the
 * INBOX consumer is wrapped so its retries are captured and driven again by hand, and each case
 * object's retries are made due and run from its alarm (test/helpers/cases.ts) until none are left.
 *
 * Randomness is seeded (mulberry32): the seed fixes the cases, the copies, the waves, the shuffles
 * and every fault decision, each keyed by what it is about (a provider URL and its call count; an
 * endpoint, case and sequence) so that concurrency does not change which call fails. Batch
 * boundaries of the real queue still depend on timing, so a seed replays the run closely, not exactly.
 * Another seed: `VITE_CHAOS_SEED=123 npx vitest run --project workers test/reliability/chaos.test.ts`.
 * The figures are printed with console.log; add `--silent=false` to see them on a passing run.
 */
import { abortAllDurableObjects, createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { ReceiptMessage } from "../../src/pipeline/messages";
import { runCron } from "../../src/cron";
import { runAlarm, storedDeliveries } from "../helpers/cases";
import { api, request } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { json, stubNetwork } from "../helpers/net";
import { indexBindings, indexRows } from "../helpers/index-dbs";
import { eventually } from "../helpers/wait";
import { newId } from "../../src/lib/ids";

// ---- seeded randomness ---------------------------------------------------------------------------

const SEED = Number(process.env.VITE_CHAOS_SEED ?? 20261122) >>> 0;

function mulberry32(a: number) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** One draw in [0, 1) for a named decision: the same seed and key always decide the same way. */
const chance = (key: string) => mulberry32(SEED ^ fnv1a(key))();
const rand = mulberry32(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
const uuid = () =>
  Array.from({ length: 4 }, () =>
    Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, "0"),
  ).join("-");

// ---- the scenario --------------------------------------------------------------------------------

const WAVES = 4;
const CASES_PER_PROVIDER = 9;
const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const clone = <T>(v: T): T => structuredClone(v);

type Provider = "karmacheck" | "truework" | "casekeeper" | "keldair";
type Json = Record<string, any>;

/** One provider event: the webhook the provider sends (as often as it likes) and its state after it. */
type Step = { key: string; wave: number; state: Json; webhook: () => Promise<{ body: string; headers: Record<string, string> }> };
type Case = { provider: Provider; sourceId: string; caseId: string; steps: Step[]; final: Json };
type Send = { step: Step; c: Case; copy: number; wave: number };

const API = {
  karmacheck: "https://kc-api.chaos.test",
  truework: "https://tw-api.chaos.test",
  casekeeper: "https://ck-api.chaos.test",
  keldair: "https://kd-api.chaos.test",
} as const;
const SECRETS = {
  kcUser: "chaos-kc-user",
  kcPass: "chaos-kc-password-1",
  kcKey: "chaos-kc-api-key",
  kcCat: "chaos-kc-client-token",
  twToken: "chaos-tw-token-1",
  twKey: "chaos-tw-api-key",
  ckToken: "chaos-ck-hook-token",
  ckSecret: "chaos-ck-client-secret",
  kdSecret: `whsec_${btoa("chaos-keldair-signing-key-32bytes")}`,
  kdKey: "chaos-kd-api-key",
};

const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();
/** Spread a case's steps over the waves in order: the provider's state moves on wave by wave. */
const waveOf = (k: number, n: number) => Math.min(WAVES - 1, Math.floor((k * WAVES) / n));
const plain =
  (body: Json, headers: Record<string, string> = {}) =>
  async () => ({ body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });

function karmacheckCase(sourceId: string, i: number): Case {
  const caseId = `kc-${SEED.toString(36)}-${i}`;
  const services = ["ssn-trace", "criminal", "mvr"]
    .slice(0, int(1, 3))
    .map((name) => ({ id: `${caseId}-${name}`, serviceName: name, status: "acknowledge", statusId: "st-acknowledge", modStamp: at(0) }));
  const state: Json = {
    id: caseId,
    caseStatus: "Pending",
    secondaryStatus: "Waiting for Authorization",
    caseStatusId: "cs-pending",
    secondaryCaseStatusId: "sec-waiting",
    modStamp: at(0),
    groupProfileId: "grp-1",
    services,
  };
  const n = int(5, 8);
  const steps: Step[] = [];
  for (let k = 0; k < n; k++) {
    const minute = 10 * (k + 1);
    const last = k === n - 1;
    let eventObject: Json;
    let event: string;
    if (!last && rand() < 0.45) {
      const svc = pick(state.services as Json[]);
      svc.status = pick(["pending", "clear", "consider", "complete"]);
      svc.statusId = `st-${svc.status}-${k}`;
      svc.modStamp = at(minute);
      event = "casedata.statuschange";
      eventObject = {
        id: svc.id,
        caseId,
        serviceName: svc.serviceName,
        status: svc.status,
        statusId: svc.statusId,
        secondaryStatusId: null,
        pendingStatusId: null,
        modStamp: svc.modStamp,
      };
    } else {
      state.caseStatus = last ? "Complete" : "Pending";
      state.secondaryStatus = last ? null : pick(["Authorization in Progress", "Verifying Candidate Input", "Reviewing Order", "Consider"]);
      state.caseStatusId = `cs-${state.caseStatus}`;
      state.secondaryCaseStatusId = state.secondaryStatus ? `sec-${k}` : null;
      state.modStamp = at(minute);
      event = "case.statuschange";
      eventObject = {
        id: caseId,
        caseStatus: state.caseStatus,
        caseStatusId: state.caseStatusId,
        secondaryStatus: state.secondaryStatus,
        secondaryCaseStatusId: state.secondaryCaseStatusId,
        modStamp: state.modStamp,
        groupProfileId: "grp-1",
      };
    }
    const messageId = uuid();
    const body = { event, apiTrackingCode: null, apiTrackingUser: null, username: SECRETS.kcUser, password: SECRETS.kcPass, eventObject };
    // A redelivery may or may not keep its messageId: dedupe must not depend on it.
    steps.push({ key: `${caseId}#${k}`, wave: waveOf(k, n), state: clone(state), webhook: plain({ messageId: rand() < 0.5 ? messageId : uuid(), ...body }) });
  }
  return { provider: "karmacheck", sourceId, caseId, steps, final: clone(state) };
}

function trueworkCase(sourceId: string, i: number): Case {
  const caseId = `ord_${SEED.toString(36)}_${i}`;
  const vrs = ["employment", "income", "education"].slice(0, int(1, 3)).map((type, j) => ({ id: `vr_${caseId}_${j}`, type, state: "pending-approval" }));
  const state: Json = { id: caseId, status: "processing", verification_requests: vrs };
  const n = int(5, 8);
  const steps: Step[] = [];
  const stamp = (k: number) => at(10 * (k + 1)).replace(".000Z", ".000000Z");
  for (let k = 0; k < n; k++) {
    const last = k === n - 1;
    let body: Json;
    if (last) {
      state.status = "completed";
      for (const vr of state.verification_requests as Json[]) vr.state = "completed";
      body = { version: "2023-10-30", hook: { id: "hook_chaos", event: "order.completed", target: "", triggered_at: stamp(k) }, data: { order_id: caseId } };
    } else {
      const vr = pick(state.verification_requests as Json[]);
      vr.state = pick(["processing", "action-required", "processing", "completed"]);
      body = {
        version: "2023-10-30",
        hook: { id: "hook_chaos", event: "verification_request.state.change", target: "", triggered_at: stamp(k) },
        data: { order_id: caseId, verification_request_id: vr.id, state: vr.state },
      };
    }
    steps.push({ key: `${caseId}#${k}`, wave: waveOf(k, n), state: clone(state), webhook: plain(body, { "x-truework-token": SECRETS.twToken }) });
  }
  return { provider: "truework", sourceId, caseId, steps, final: clone(state) };
}

const CK_STEPS = ["frontIdCardResult", "backIdCardResult", "passportResult", "idFaceRecognitionResult", "criminalCheckResult"];

function casekeeperCase(sourceId: string, i: number): Case {
  const caseId = `${SEED.toString(16)}-ck-${i}`;
  const state: Json = { id: caseId, status: "pending", updatedAt: at(0) };
  const n = int(5, 8);
  const steps: Step[] = [];
  for (let k = 0; k < n; k++) {
    const last = k === n - 1;
    state.updatedAt = at(10 * (k + 1));
    let key: string;
    if (last) {
      state.status = "completed";
      key = "verification.completed";
    } else if (k === 0 || rand() < 0.3) {
      state.status = "in_progress";
      key = "verification.updated";
    } else {
      const step = pick(CK_STEPS);
      const action = pick(["created", "updated", "confirmed"]);
      state[step] = { status: action === "confirmed" ? "completed" : "in_progress" };
      key = `verification.${step}.${action}`;
    }
    const data: Json = { id: caseId, updatedAt: state.updatedAt, status: state.status };
    steps.push({ key: `${caseId}#${k}`, wave: waveOf(k, n), state: clone(state), webhook: plain({ key, data }, { "x-casekeeper-token": SECRETS.ckToken }) });
  }
  return { provider: "casekeeper", sourceId, caseId, steps, final: clone(state) };
}

function keldairCase(sourceId: string, i: number): Case {
  const caseId = `app_${SEED.toString(36)}_${i}`;
  const state: Json = { id: caseId, stage: "applied", jobId: `job_${i}` };
  const n = int(5, 8);
  const steps: Step[] = [];
  for (let k = 0; k < n; k++) {
    const last = k === n - 1;
    const type = k === 0 ? "applicant.created" : last ? "applicant.hired" : "applicant.stage_changed";
    state.stage = k === 0 ? "applied" : last ? "hired" : pick(["screen", "interview", "offer", "reference"]);
    state.stageChangedAt = at(10 * (k + 1));
    const id = uuid();
    const raw = JSON.stringify({
      id,
      type,
      version: "2022-02-23",
      dateOccurred: at(10 * (k + 1)).replace(".000Z", "+00:00"),
      data: { id: caseId, stage: state.stage },
    });
    // Signed at send time (Standard Webhooks, as Svix does): every copy carries a fresh timestamp.
    const webhook = async () => {
      const now = new Date();
      const signature = new Webhook(SECRETS.kdSecret).sign(id, now, raw);
      return {
        body: raw,
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": signature,
        },
      };
    };
    steps.push({ key: `${caseId}#${k}`, wave: waveOf(k, n), state: clone(state), webhook });
  }
  return { provider: "keldair", sourceId, caseId, steps, final: clone(state) };
}

/** 1 to 3 copies of each event; the first goes out in its wave or up to two waves late, later copies (redeliveries) after it. */
function planSends(cases: Case[]): Send[] {
  const sends: Send[] = [];
  for (const c of cases) {
    for (const step of c.steps) {
      const copies = pick([1, 1, 2, 2, 3]);
      let wave = Math.min(WAVES - 1, step.wave + (rand() < 0.25 ? int(1, 2) : 0));
      for (let copy = 0; copy < copies; copy++) {
        sends.push({ step, c, copy, wave });
        wave = Math.min(WAVES - 1, wave + (rand() < 0.4 ? 1 : 0));
      }
    }
  }
  return sends;
}

// ---- figures --------------------------------------------------------------------------------------

const figures = {
  seed: SEED,
  cases: 0,
  events: 0,
  sends: 0,
  providerDuplicates: 0,
  delayedEvents: 0,
  ingestNon2xx: 0,
  providerCalls: 0,
  providerFaults: { http500: 0, timeout: 0, malformedJson: 0 },
  endpointAttempts: 0,
  endpointFaults: { http500: 0, http429: 0, timeout: 0, lostResponse: 0, http410: 0 },
  consumerFaults: { d1Batch: 0, durableObjectCall: 0, crashMidBatch: 0 },
  objectResets: 0,
  inboxRetriesDriven: 0,
  deadLettered: 0,
  deliveryRounds: 0,
  alarmsRun: 0,
  outcomes: { forwarded: 0, stale: 0, unchanged: 0, failed: 0 },
  relayCountedDuplicates: 0,
  deliveries: { succeeded: 0, superseded: 0 },
  acknowledged: 0,
  duplicateAcknowledgements: 0,
  outOfOrderAfterLostResponse: 0,
  lost: 0,
  seconds: 0,
};

// ---- fake provider APIs: ~30 % of calls fail (500, timeout, malformed JSON) --------------------------

const net = stubNetwork();
const apiState = new Map<string, Json>(); // `${provider}:${caseId}` -> the provider's current state
const callCounts = new Map<string, number>();

function providerApi(base: string, answer: (url: URL, req: Request) => Response | Promise<Response>) {
  net.on(base, async (req) => {
    figures.providerCalls++;
    const n = (callCounts.get(req.url) ?? 0) + 1;
    callCounts.set(req.url, n);
    const u = chance(`api ${req.method} ${req.url} #${n}`);
    if (u < 0.1) {
      figures.providerFaults.http500++;
      return new Response("upstream error", { status: 500 });
    }
    if (u < 0.2) {
      // What fetch throws when AbortSignal.timeout fires, without waiting 10 s for it.
      figures.providerFaults.timeout++;
      throw new DOMException("The operation timed out.", "TimeoutError");
    }
    if (u < 0.3) {
      figures.providerFaults.malformedJson++;
      return new Response('{"cases": [{"id": ', { status: 200, headers: { "content-type": "application/json" } });
    }
    return answer(new URL(req.url), req);
  });
}

const lastSegment = (url: URL) => decodeURIComponent(url.pathname.split("/").pop() ?? "");
const stateOr404 = (key: string, wrap: (s: Json) => unknown) => {
  const s = apiState.get(key);
  return s ? json(wrap(s)) : new Response("not found", { status: 404 });
};

providerApi(API.karmacheck, (url) => {
  if (url.pathname === "/auth/api") return json({ token: "chaos-kc-jwt" });
  return stateOr404(`karmacheck:${lastSegment(url)}`, (s) => ({ cases: [s] }));
});
providerApi(API.truework, (url) => stateOr404(`truework:${lastSegment(url)}`, (s) => s));
providerApi(API.casekeeper, (url) => {
  if (url.pathname.endsWith("/token")) return json({ access_token: "chaos-ck-access-token", expires_in: 3600 });
  return stateOr404(`casekeeper:${lastSegment(url)}`, (s) => ({ data: s }));
});
providerApi(API.keldair, (url) => stateOr404(`keldair:${lastSegment(url)}`, (s) => s));

// ---- customer endpoints: ~50 % of attempts fail; one answers 410 for a while -----------------------------

type Hit = { endpoint: string; id: string; caseKey: string; sequence: number; state: unknown; verified: boolean; kind: "ack" | "lost" };
/** What the endpoints did, in order: acknowledged (the relay saw the 2xx), or processed but the answer was lost. */
const processed: Hit[] = [];
const failuresPer = new Map<string, number>();
/** After this many failures of one event at one endpoint it succeeds: the schedule allows 10 attempts. */
const MAX_FAILURES_PER_EVENT = 4;

function customerEndpoint(name: string, url: string, secret: () => string, gone: () => boolean) {
  net.on(url, async (_req, call) => {
    figures.endpointAttempts++;
    const headers = {
      "webhook-id": call.headers["webhook-id"]!,
      "webhook-timestamp": call.headers["webhook-timestamp"]!,
      "webhook-signature": call.headers["webhook-signature"]!,
    };
    let verified = true;
    try {
      new Webhook(secret()).verify(call.body, headers);
    } catch {
      verified = false;
    }
    const body = JSON.parse(call.body);
    const hit = {
      endpoint: name,
      id: headers["webhook-id"],
      caseKey: `${body.data.source_id}:${body.data.case_id}`,
      sequence: body.data.sequence,
      state: body.data.state,
      verified,
    };
    if (gone()) {
      figures.endpointFaults.http410++;
      return new Response("gone", { status: 410 });
    }
    // Keyed by case and sequence rather than the event id (a random ULID), so a seed replays the same faults.
    const failKey = `${name} ${hit.caseKey.split(":")[1]} #${hit.sequence}`;
    const failures = failuresPer.get(failKey) ?? 0;
    const u = failures >= MAX_FAILURES_PER_EVENT ? 1 : chance(`endpoint ${failKey} #${failures}`);
    if (u < 0.5) failuresPer.set(failKey, failures + 1);
    if (u < 0.15) {
      figures.endpointFaults.http500++;
      return new Response("internal error", { status: 500 });
    }
    if (u < 0.27) {
      figures.endpointFaults.http429++;
      return new Response("slow down", { status: 429, headers: { "retry-after": "7" } });
    }
    if (u < 0.42) {
      figures.endpointFaults.timeout++;
      throw new DOMException("The operation timed out.", "TimeoutError");
    }
    if (u < 0.5) {
      // The receiver did its work, but its answer never reached the relay: a retry is unavoidable.
      figures.endpointFaults.lostResponse++;
      processed.push({ ...hit, kind: "lost" });
      throw new DOMException("The operation timed out.", "TimeoutError");
    }
    processed.push({ ...hit, kind: "ack" });
    return new Response("ok");
  });
}

// ---- driving the consumers ------------------------------------------------------------------------

const realQueue = worker.queue!.bind(worker);
type Item = { body: ReceiptMessage; attempts: number };
/** Per receipt id: where its queue message is. */
const receiptState = new Map<string, "queued" | "acked" | "retry">();
const inboxRetries: Item[] = [];
let inflight = 0;
let realInboxBatches = 0;
const INJECTED = "injected by the chaos test";
/** The consumer faults below fire only during the chaos run. */
let armed = false;

/**
 * Runs the INBOX consumer on a batch whose ack/retry are recorded: a retry is kept for driving by
 * hand (its real delay is 10 s or more) instead of going back to the queue.
 */
async function runInbox(items: { body: ReceiptMessage; attempts: number; ack?: () => void }[], crashOnAck = 0): Promise<void> {
  let acks = 0;
  const retried: Item[] = [];
  const messages = items.map((it, i) => ({
    id: `m-${it.body.id}-${it.attempts}-${i}`,
    timestamp: new Date(),
    body: it.body,
    attempts: it.attempts,
    ack() {
      if (++acks === crashOnAck) throw new Error(`consumer crashed mid-batch (${INJECTED})`);
      receiptState.set(it.body.id, "acked");
      it.ack?.();
    },
    retry() {
      receiptState.set(it.body.id, "retry");
      retried.push({ body: it.body, attempts: it.attempts });
      it.ack?.();
    },
  }));
  const batch = {
    queue: "caserelay-inbox",
    messages,
    ackAll: () => {
      for (const m of messages) m.ack();
    },
    retryAll: () => {
      for (const m of messages) m.retry();
    },
  };
  inflight++;
  try {
    await realQueue(batch as unknown as MessageBatch<ReceiptMessage>, env, createExecutionContext());
    inboxRetries.push(...retried);
  } finally {
    inflight--;
  }
}

// The real INBOX queue's batches go through runInbox; the second one of 3+ messages crashes after its
// first ack, and the queue delivers the whole batch again (the consumer must not take its own
// redelivered receipts for duplicates, nor send anything twice).
const queueSpy = vi.spyOn(worker, "queue").mockImplementation(async (batch, e, ctx) => {
  if (batch.queue !== "caserelay-inbox") return realQueue(batch, e, ctx);
  const real = batch as MessageBatch<ReceiptMessage>;
  const crash = armed && real.messages.length >= 3 && ++realInboxBatches === 2 ? 2 : 0;
  try {
    await runInbox(
      real.messages.map((m) => ({ body: m.body, attempts: m.attempts, ack: () => m.ack() })),
      crash,
    );
  } catch (err) {
    if (!String(err).includes(INJECTED)) throw err;
    figures.consumerFaults.crashMidBatch++;
    for (const m of real.messages) receiptState.set(m.body.id, "queued");
    throw err;
  }
});

// Index writes to D1 fail: the 3rd, 7th and 11th batch that writes events (the consumer then writes
// case by case; after the 7th, two of those fail too, so their messages come back). The cases had
// already decided and sent: nothing may be sent or numbered again, nothing may miss from the index.
// The index's databases are spied on as the platform gives them (test/helpers/index-dbs.ts).
let indexBatches = 0;
let failedAfterSeventh = 0;
const d1Spies = indexBindings().map((db) => {
  const realBatch = db.batch.bind(db);
  return vi.spyOn(db, "batch").mockImplementation(async (stmts) => {
    const writesEvents = stmts.some((s) => /^INSERT INTO events/.test((s as unknown as { statement?: string }).statement ?? ""));
    if (armed && writesEvents) {
      const n = ++indexBatches;
      if (n === 3 || n === 7 || n === 11 || (n > 7 && n < 11 && failedAfterSeventh++ < 2)) {
        figures.consumerFaults.d1Batch++;
        throw new Error(`D1_ERROR: storage operation exceeded timeout (${INJECTED})`);
      }
    }
    return realBatch(stmts);
  });
});

// One Durable Object call fails once: the ninth process() the INBOX consumer makes.
const realGet = env.CASES.get.bind(env.CASES);
let processCalls = 0;
const doSpy = vi.spyOn(env.CASES, "get").mockImplementation((id) => {
  const stub = realGet(id);
  return new Proxy(stub, {
    get(target, prop) {
      if (prop === "process") {
        return (...args: Parameters<typeof stub.process>) => {
          if (armed && ++processCalls === 9) {
            figures.consumerFaults.durableObjectCall++;
            return Promise.reject(new Error(`Durable Object reset because its code was updated (${INJECTED})`));
          }
          return target.process(...args);
        };
      }
      // An RPC stub answers every property with a method: call through it, never on the proxy.
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? (...args: unknown[]) => (target as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[prop]!(...args) : v;
    },
  });
});

afterAll(() => {
  for (const spy of [queueSpy, ...d1Spies, doSpy]) spy.mockRestore();
  net.restore();
});

/** Until every accepted receipt has been acked or handed back for a retry, and no batch is running. */
async function settleInbox(accepted: string[], what: string) {
  await eventually(() => inflight === 0 && accepted.every((id) => receiptState.get(id) === "acked" || receiptState.get(id) === "retry"), {
    timeout: 60_000,
    interval: 50,
    message: what,
  });
}

/** Drives captured INBOX retries once; a message past the queue's max_retries (10) goes to the dead-letter consumer. */
async function driveInboxRetries() {
  const items = inboxRetries.splice(0).map((it) => ({ body: it.body, attempts: it.attempts + 1 }));
  const dead = items.filter((it) => it.attempts > 11);
  const live = items.filter((it) => it.attempts <= 11);
  figures.inboxRetriesDriven += live.length;
  for (let i = 0; i < live.length; i += 100) await runInbox(live.slice(i, i + 100));
  if (dead.length) {
    figures.deadLettered += dead.length;
    const batch = createMessageBatch<ReceiptMessage>(
      "caserelay-inbox-dlq",
      dead.map((it, i) => ({ id: `dl-${i}`, timestamp: new Date(), attempts: it.attempts, body: it.body })),
    );
    const ctx = createExecutionContext();
    await realQueue(batch as MessageBatch<ReceiptMessage>, env, ctx);
    await getQueueResult(batch, ctx);
  }
}

/** One round of every case object's alarm, its retries made due now; returns how many deliveries were open. */
async function deliveryRound(cases: Case[]) {
  let open = 0;
  await pool(cases, 6, async (c) => {
    const mine = (await storedDeliveries(c.sourceId, c.caseId)).filter((d) => d.status === "pending" || d.status === "retrying");
    if (!mine.length) return;
    open += mine.length;
    figures.alarmsRun++;
    await runAlarm(c.sourceId, c.caseId, { due: true });
  });
  if (open) figures.deliveryRounds++;
  return open;
}

async function drainDeliveries(cases: Case[]) {
  for (let round = 0; await deliveryRound(cases); round++) expect(round, "delivery rounds").toBeLessThan(40);
}

/** Every case object forgets everything it held in memory, as on a deploy; their storage stays. */
async function resetObjects() {
  figures.objectResets++;
  await abortAllDurableObjects();
}

/** At most `limit` promises at once, in order of the list. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

// ---- the run ----------------------------------------------------------------------------------------

describe("chaos", () => {
  it("counts a provider duplicate once, even when the queue delivers its message again", async () => {
    const customer = await createCustomer();
    const source = await createSource(customer.id, "keldair", { verify: { secret: SECRETS.kdSecret } });
    const message = (id: string): ReceiptMessage => ({
      kind: "receipt",
      id,
      source_id: source.id,
      customer_id: customer.id,
      case_id: "dup-case",
      dedupe_key: JSON.stringify(["evt-dup"]),
      subject: "case",
      provider_event_id: "evt-dup",
      event_type: "applicant.created",
      version: "2026-11-01T09:00:00+00:00",
      received_at: Date.now(),
      body_sha256: "0".repeat(64),
      body: JSON.stringify({ id: "evt-dup", type: "applicant.created", data: { id: "dup-case" } }),
    });
    const holder = message(newId("rcv"));
    const copy = message(newId("rcv"));
    await runInbox([
      { body: holder, attempts: 1 },
      { body: copy, attempts: 1 },
    ]);
    // The consumer crashed after that batch was processed: the queue delivers it again.
    await runInbox([
      { body: holder, attempts: 2 },
      { body: copy, attempts: 2 },
    ]);
    const view = (await api.get(`/v1/cases/${source.id}/dup-case`)).body;
    expect(view.receipts).toEqual([
      expect.objectContaining({ id: holder.id, outcome: "forwarded", duplicate_count: 1, duplicates: [expect.objectContaining({ id: copy.id })] }),
    ]);
    expect(view.events).toHaveLength(1);
  });

  it("loses nothing, accounts for every event, and ends each endpoint on each case's final state", { timeout: 110_000 }, async () => {
    const started = Date.now();
    armed = true;
    try {
      const customer = await createCustomer("chaos");
      const sources = {
        karmacheck: await createSource(customer.id, "karmacheck", {
          username: SECRETS.kcUser,
          password: SECRETS.kcPass,
          api: { base_url: API.karmacheck, api_key: SECRETS.kcKey, client_access_token: SECRETS.kcCat },
        }),
        truework: await createSource(customer.id, "truework", { tokens: [SECRETS.twToken], api: { base_url: API.truework, api_key: SECRETS.twKey } }),
        casekeeper: await createSource(customer.id, "casekeeper", {
          token: SECRETS.ckToken,
          api: { base_url: API.casekeeper, client_id: "chaos", client_secret: SECRETS.ckSecret },
        }),
        keldair: await createSource(customer.id, "keldair", {
          verify: { secret: SECRETS.kdSecret },
          refetch: { url: `${API.keldair}/applicants/{case_id}`, headers: { authorization: `Bearer ${SECRETS.kdKey}` } },
        }),
      };
      const gone = { requests: 0, fixed: false };
      const endpoints = await Promise.all(["a", "b", "gone"].map((name) => createEndpoint(customer.id, { url: `https://ep-${name}.chaos.test/hook` })));
      const names = ["a", "b", "gone"] as const;
      endpoints.forEach((ep, i) => {
        const name = names[i]!;
        // "gone" answers 410 from its 40th request on, until the operator fixes it (below).
        customerEndpoint(
          name,
          ep.url,
          () => ep.secret,
          () => name === "gone" && !gone.fixed && ++gone.requests >= 40,
        );
      });

      const makers = { karmacheck: karmacheckCase, truework: trueworkCase, casekeeper: casekeeperCase, keldair: keldairCase };
      const cases: Case[] = [];
      for (const provider of Object.keys(makers) as Provider[]) {
        for (let i = 0; i < CASES_PER_PROVIDER; i++) cases.push(makers[provider](sources[provider].id, i));
      }
      const sends = planSends(cases);
      figures.cases = cases.length;
      figures.events = cases.reduce((n, c) => n + c.steps.length, 0);
      figures.sends = sends.length;
      figures.providerDuplicates = sends.length - figures.events;
      figures.delayedEvents = new Set(sends.filter((s) => s.copy === 0 && s.wave > s.step.wave).map((s) => s.step.key)).size;

      /** Receipt ids the relay acknowledged (2xx), per provider event. */
      const acceptedBy = new Map<string, string[]>();
      const accepted: string[] = [];
      for (let wave = 0; wave < WAVES; wave++) {
        // The provider's state moves first; its webhooks for this wave (and late ones) follow, shuffled.
        for (const c of cases) {
          const reached = c.steps.filter((s) => s.wave <= wave).at(-1);
          if (reached) apiState.set(`${c.provider}:${c.caseId}`, reached.state);
        }
        const batch = shuffle(sends.filter((s) => s.wave === wave));
        await pool(batch, 8, async (s) => {
          const { body, headers } = await s.step.webhook();
          const res = await request("POST", `/in/${s.c.sourceId}`, { token: null, raw: body, headers });
          if (res.status !== 200) {
            figures.ingestNon2xx++;
            return;
          }
          accepted.push(res.body.id);
          acceptedBy.set(s.step.key, [...(acceptedBy.get(s.step.key) ?? []), res.body.id]);
        });
        await settleInbox(accepted, `wave ${wave}: every accepted receipt consumed`);
        // Retries come back later, interleaved with newer events, as they would in production.
        await driveInboxRetries();
        await deliveryRound(cases);
        // A deploy between waves: every object starts again from its storage.
        await settleInbox(accepted, `wave ${wave}: retries consumed`);
        await drainDeliveries(cases);
        await resetObjects();
      }

      // Let every retry run out.
      for (let round = 0; inboxRetries.length || [...receiptState.values()].includes("queued"); round++) {
        expect(round, "inbox retry rounds").toBeLessThan(15);
        await settleInbox(accepted, "redelivered receipts consumed");
        await driveInboxRetries();
      }
      await settleInbox(accepted, "every receipt consumed");
      await drainDeliveries(cases);

      // The operator fixes the gone endpoint: re-enable (sends what was held), recover what failed.
      gone.fixed = true;
      const goneId = endpoints[2]!.id;
      expect((await api.get(`/v1/endpoints/${goneId}`)).body.status, "410 disables the endpoint").toBe("disabled");
      expect((await api.patch(`/v1/endpoints/${goneId}`, { status: "active" })).status).toBe(200);
      expect((await api.post(`/v1/endpoints/${goneId}/recover`, { since: new Date(started - 60_000).toISOString() })).status).toBe(202);
      // The release and the recover run in the background of those requests; the cron finishes them.
      await runCron(env, Date.now(), { retention: false });
      await eventually(
        async () =>
          (await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ?1 AND status IN ('held', 'recovering', 'failed')")
            .bind(goneId)
            .first<{ n: number }>())!.n === 0,
        { timeout: 30_000, message: "held and failed deliveries of the fixed endpoint handed back" },
      );
      await drainDeliveries(cases);

      // ---- checks ----
      armed = false;
      expect(figures.ingestNon2xx, "every webhook acknowledged").toBe(0);
      // Every kind of fault was injected (or the run proves nothing).
      for (const [kind, n] of Object.entries({ ...figures.providerFaults, ...figures.endpointFaults })) expect(n, `${kind} faults`).toBeGreaterThan(0);
      expect(figures.consumerFaults.d1Batch).toBeGreaterThanOrEqual(3);
      expect(figures.consumerFaults).toMatchObject({ durableObjectCall: 1, crashMidBatch: 1 });
      expect(figures.objectResets).toBe(WAVES);
      expect(figures.events).toBeGreaterThanOrEqual(200);
      const endpointIds = new Map(endpoints.map((ep, i) => [ep.id, names[i]!]));
      const lastSequence = new Map<string, number>();
      for (const c of cases) {
        const view = (await api.get(`/v1/cases/${c.sourceId}/${encodeURIComponent(c.caseId)}`)).body;
        const where = `${c.provider} case ${c.caseId}`;
        // Nothing accepted is lost: every acknowledged receipt is a receipt or one of its duplicates.
        const listed = view.receipts.flatMap((r: Json) => [r.id, ...r.duplicates.map((d: Json) => d.id)]);
        const ours = c.steps.flatMap((s) => acceptedBy.get(s.key) ?? []);
        expect(listed.sort(), `${where}: receipts and duplicates`).toEqual([...ours].sort());
        expect(
          view.receipts.reduce((n: number, r: Json) => n + 1 + r.duplicate_count, 0),
          where,
        ).toBe(ours.length);
        // Every first-seen provider event ends forwarded, stale, unchanged or failed: none pending.
        for (const s of c.steps) {
          const ids = acceptedBy.get(s.key) ?? [];
          const holder = view.receipts.filter((r: Json) => ids.includes(r.id));
          expect(holder, `${where} step ${s.key}: one receipt`).toHaveLength(1);
          expect(["forwarded", "stale", "unchanged", "failed"], `${where} step ${s.key}`).toContain(holder[0].outcome);
          figures.outcomes[holder[0].outcome as keyof typeof figures.outcomes]++;
          figures.relayCountedDuplicates += holder[0].duplicate_count;
        }
        // Events are numbered 1..n; every delivery ended acknowledged or superseded (none stuck).
        expect(
          view.events.map((e: Json) => e.sequence),
          where,
        ).toEqual(view.events.map((_: Json, i: number) => i + 1));
        expect(view.events.at(-1).payload.data.state, `${where}: the last event carries the final state`).toEqual(c.final);
        lastSequence.set(`${c.sourceId}:${c.caseId}`, view.events.length);
        for (const d of view.deliveries) {
          expect(["succeeded", "superseded"], `${where}: delivery ${d.id} to ${endpointIds.get(d.endpoint_id)}`).toContain(d.status);
          figures.deliveries[d.status as "succeeded" | "superseded"]++;
        }
        expect(
          view.deliveries.filter((d: Json) => !d.replay),
          where,
        ).toHaveLength(view.events.length * endpoints.length);
        // The index has each event once, and no delivery left that needs an operator.
        const indexed = await indexRows<{ id: string; sequence: number }>(
          "SELECT id, sequence FROM events WHERE source_id = ?1 AND case_id = ?2",
          c.sourceId,
          c.caseId,
        );
        expect(
          indexed.map((e) => e.sequence).sort((a, b) => a - b),
          `${where}: indexed events`,
        ).toEqual(view.events.map((e: Json) => e.sequence));
        const pendingOps = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE source_id = ?1 AND case_id = ?2")
          .bind(c.sourceId, c.caseId)
          .first<{ n: number }>();
        expect(pendingOps!.n, `${where}: index rows of deliveries still needing an operator`).toBe(0);
      }
      figures.lost = figures.events - Object.values(figures.outcomes).reduce((a, b) => a + b, 0);
      expect(figures.lost).toBe(0);
      expect(figures.relayCountedDuplicates, "the relay counted every provider redelivery").toBe(figures.providerDuplicates);

      // What the endpoints saw: all signed; per case, acknowledged sequences only go up, none twice;
      // the last acknowledged event of each case carries the provider's final state.
      const acked = processed.filter((h) => h.kind === "ack");
      expect(
        processed.filter((h) => !h.verified),
        "every delivery verifies with the standardwebhooks library",
      ).toEqual([]);
      figures.acknowledged = acked.length;
      expect(new Set(acked.map((h) => `${h.endpoint} ${h.id}`)).size, "no event acknowledged twice").toBe(acked.length);
      expect(acked.length, "the relay's succeeded deliveries are the endpoints' acknowledgements").toBe(figures.deliveries.succeeded);
      for (const name of names) {
        for (const c of cases) {
          const key = `${c.sourceId}:${c.caseId}`;
          const mine = processed.filter((h) => h.endpoint === name && h.caseKey === key);
          const hits = mine.filter((h) => h.kind === "ack");
          const seqs = hits.map((h) => h.sequence);
          expect(seqs, `${name} ${key}: acknowledged sequences increase`).toEqual([...seqs].sort((a, b) => a - b));
          expect(hits.at(-1)?.sequence, `${name} ${key}: ends on the case's last event`).toBe(lastSequence.get(key));
          expect(hits.at(-1)?.state, `${name} ${key}: ends on the provider's final state`).toEqual(c.final);
          // A response lost after the endpoint did its work makes another delivery unavoidable, which
          // may also come after a newer event the relay did not know was processed. Each such repeat
          // or step back must follow a lost response; they are counted.
          let newest = 0;
          const lostSeqs = new Set<number>();
          for (const h of mine) {
            if (h.sequence < newest) {
              expect(
                [...lostSeqs].some((s) => s > h.sequence),
                `${name} ${key}: sequence ${h.sequence} after ${newest} without a lost response`,
              ).toBe(true);
              figures.outOfOrderAfterLostResponse++;
            }
            newest = Math.max(newest, h.sequence);
            if (h.kind === "lost") lostSeqs.add(h.sequence);
          }
          const byId = new Map<string, Hit[]>();
          for (const h of mine) byId.set(h.id, [...(byId.get(h.id) ?? []), h]);
          for (const [id, hs] of byId) {
            const lost = hs.filter((h) => h.kind === "lost").length;
            expect(hs.length - 1, `${name} ${id}: repeats only after lost responses`).toBeLessThanOrEqual(lost);
            figures.duplicateAcknowledgements += hs.length - 1;
          }
        }
      }
    } finally {
      armed = false;
      figures.seconds = Math.round((Date.now() - started) / 100) / 10;
      console.log(`chaos seed ${SEED} (override with VITE_CHAOS_SEED)`);
      console.log(`chaos figures ${JSON.stringify(figures)}`);
    }
  });
});
