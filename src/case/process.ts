/**
 * Processing one receipt inside its case object: dedupe, the stale check, refetch, normalize, and
 * the decision (stale, unchanged, forwarded as the next event, failed, or not yet), recorded in
 * one write before anything leaves the object. The object runs these one at a time (its decision
 * lock), so what is read here cannot change until it is written.
 */
import type { IndexWrite } from "../db/index-writes";
import type { Trigger } from "../domain";
import type { Config } from "../lib/config";
import { eventIdForReceipt } from "../lib/ids";
import { errorSummary, log } from "../lib/log";
import { eventFingerprint } from "../pipeline/fingerprint";
import { redactCredentials } from "../pipeline/redact";
import { refetchWithRetries } from "../pipeline/refetch";
import { RefetchError, type RefetchOutcome, type TokenCache } from "../providers";
import type { CaseContext } from "./context";
import { deliveriesFor, isUnchanged, nextEvent, staleness } from "./decide";
import { indexedStatus } from "./delivery-state";
import type { CaseStore, NewReceiptRow, ReceiptRow } from "./storage";
import type { CaseKey, ReceiptInput, ReceiptResult } from "./types";

export type ProcessDeps = {
  store: CaseStore;
  context: CaseContext;
  key: CaseKey;
  config: Config;
  tokens: (sourceId: string) => TokenCache;
  now: () => number;
};

/** A receipt about to be decided: a stored row, or one just handed over. */
type Candidate = Omit<NewReceiptRow, "n" | "outcome"> & { n?: number };

const result = (receiptId: string, outcome: ReceiptResult["outcome"], fields: Partial<ReceiptResult> = {}): ReceiptResult => ({
  receiptId,
  outcome,
  reason: null,
  detail: null,
  eventId: null,
  duplicateOf: null,
  ...fields,
});

/** A webhook handed over by the INBOX consumer (perhaps again: a redelivered message gets its first answer). */
export async function receive(deps: ProcessDeps, r: ReceiptInput, attempt: number, index: IndexWrite[]): Promise<ReceiptResult> {
  const { store, config } = deps;
  store.ensure();
  const existing = store.receiptById(r.id);
  if (existing && existing.outcome !== "pending") return answer(deps, existing, index);
  if (!existing) {
    const holder = store.dedupeHolder(r.dedupeKey, deps.now() - config.dedupeWindowMs);
    if (holder) {
      // A provider redelivery: counted once on the receipt it repeats, even if its message comes twice.
      if (!holder.duplicates.some((d) => d.id === r.id)) store.countDuplicate(holder.n, holder.duplicates, { id: r.id, received_at: r.receivedAt });
      return result(r.id, "duplicate", { duplicateOf: holder.id });
    }
  }
  const body = r.body ?? existing?.body ?? null;
  const candidate: Candidate = {
    n: existing?.n,
    id: r.id,
    kind: "webhook",
    dedupeKey: r.dedupeKey,
    providerEventId: r.providerEventId,
    providerEventType: r.providerEventType,
    subject: r.subject,
    version: r.version,
    receivedAt: r.receivedAt,
    tries: attempt,
    bodySha256: r.bodySha256,
    body,
  };
  if (body === null) return record(deps, candidate, "failed", index, { reason: "body_missing", detail: "the body stored at ingest could not be found" });
  const trigger: Trigger = {
    kind: "webhook",
    provider_event_type: r.providerEventType,
    provider_event_id: r.providerEventId,
    received_at: new Date(r.receivedAt).toISOString(),
  };
  return decide(deps, candidate, trigger, index);
}

/** A failed receipt processed again (an operator's replay): the same decision, from its stored body. */
export function replayStored(deps: ProcessDeps, row: ReceiptRow, index: IndexWrite[]): Promise<ReceiptResult> {
  const trigger: Trigger = {
    kind: "webhook",
    provider_event_type: row.providerEventType,
    provider_event_id: row.providerEventId,
    received_at: new Date(row.receivedAt).toISOString(),
  };
  index.push({ kind: "receipt_recovered", id: row.id, at: deps.now() });
  index.push({
    kind: "issue_clear",
    issue: "receipt.failed",
    subjectId: deps.key.sourceId,
    resolution: "no failed receipt is left to the source",
    unless: "failed_receipts",
    at: deps.now(),
  });
  return decide(deps, { ...row, reason: null, detail: null }, trigger, index);
}

/** A quiet case refetched by the cron at `now` (its clock): recorded only if it forwards an event or closes the case. */
export async function reconcileNow(deps: ProcessDeps, id: string, now: number, index: IndexWrite[]): Promise<ReceiptResult> {
  deps.store.ensure();
  const candidate: Candidate = {
    id,
    kind: "reconcile",
    dedupeKey: `reconcile:${id}`,
    providerEventId: null,
    providerEventType: "reconcile",
    subject: "case",
    version: null,
    receivedAt: now,
    tries: 1,
    bodySha256: null,
    body: null,
  };
  const trigger: Trigger = { kind: "reconcile", provider_event_type: null, provider_event_id: null, received_at: new Date(now).toISOString() };
  return decide(deps, candidate, trigger, index, { recordOnlyForwarded: true });
}

async function decide(
  deps: ProcessDeps,
  r: Candidate,
  trigger: Trigger,
  index: IndexWrite[],
  opts: { recordOnlyForwarded?: boolean } = {},
): Promise<ReceiptResult> {
  const { store, context, key } = deps;
  const source = context.source;
  // A reconcile run is recorded when it forwards an event or closes the case; otherwise it leaves no trace.
  const skip = (outcome: "stale" | "unchanged" | "failed" | "pending", fields: Partial<NewReceiptRow>) =>
    opts.recordOnlyForwarded && !fields.closesCase
      ? result(r.id, outcome === "pending" ? "retry" : outcome, { reason: fields.reason ?? null, detail: fields.detail ?? null })
      : record(deps, r, outcome, index, fields);
  if (!source) return skip("failed", { reason: "source_deleted", detail: "the source no longer exists" });
  const { adapter, config } = source;
  const trusted = adapter.authenticates?.(config) ?? true;

  // An authenticated webhook's own version can spare a refetch; an unauthenticated one says nothing.
  let version = trusted ? (r.version ?? null) : null;
  const early = staleness(r.subject, version, store.facts().versions);
  if (early.stale) return skip("stale", { version, reason: "stale", detail: `version ${version} is older than ${early.newest}, already seen` });

  let body: unknown = null;
  try {
    body = r.body ? JSON.parse(r.body) : null;
  } catch {
    // Not JSON any more (cannot happen for a body ingest stored); the refetched state is what matters.
  }
  const event = { eventType: r.providerEventType, subject: r.subject, caseId: key.caseId, body };
  let state: unknown = body;
  let verified = false;
  if (adapter.canRefetch(config)) {
    let outcome: RefetchOutcome;
    const ref = { source_id: key.sourceId, case_id: key.caseId, receipt_id: r.id };
    try {
      // A reconcile run tries once: the cron backs off between runs.
      const backoffMs = trigger.kind === "reconcile" ? [] : undefined;
      outcome = await refetchWithRetries(source, deps.tokens(key.sourceId), key.caseId, { allowLocalUrls: deps.config.allowLocalUrls, backoffMs });
    } catch (err) {
      // Every refetch or token failure counts towards the source's alert, from webhooks and reconciles alike.
      const what = err instanceof RefetchError ? err.message : "an internal error stopped the refetch";
      index.push({
        kind: "issue",
        issue: "source.refetch_failing",
        subjectId: key.sourceId,
        count: 1,
        detail: `the provider API failed: ${what}`,
        ref,
        at: deps.now(),
      });
      if (err instanceof RefetchError && !err.retryable) {
        // The provider's final word (a 4xx, a refused URL, an answer too big): recorded, not retried for ever.
        return skip("failed", { reason: "refetch_rejected", detail: `the refetch cannot succeed as configured: ${err.message}` });
      }
      const known = err instanceof RefetchError;
      if (!known) log("error", "refetch failed unexpectedly", { source_id: key.sourceId, receipt_id: r.id, error: errorSummary(err) });
      return skip("pending", {
        reason: "refetch_failed",
        detail: known ? `the provider API failed: ${err.message}` : "an internal error stopped the refetch (see the logs)",
      });
    }
    verified = true;
    // The provider API answered: its alert clears (one write per source and batch, a lookup that usually finds nothing).
    index.push({
      kind: "issue_clear",
      issue: "source.refetch_failing",
      subjectId: key.sourceId,
      resolution: "the provider API answered again",
      at: deps.now(),
    });
    if (outcome.kind === "gone") {
      state = null;
      const gone = adapter.normalize({ event, state: null, verified, trusted }, config);
      if (gone.status !== "deleted") {
        return skip("failed", { version, closesCase: true, reason: "gone", detail: `the provider answered ${outcome.httpStatus} for this case: it is closed` });
      }
    } else if (outcome.kind === "found") {
      state = redactCredentials(outcome.state);
    } else {
      verified = false;
    }
  }
  if (!trusted) {
    version = verified ? (adapter.versionOf?.(state, r.subject) ?? null) : null;
    const late = staleness(r.subject, version, store.facts().versions);
    if (late.stale) return skip("stale", { version, reason: "stale", detail: `the provider's version ${version} is older than ${late.newest}, already seen` });
  }

  const n = adapter.normalize({ event, state, verified, trusted }, config);
  const fingerprint = await eventFingerprint(state, n.type, n.check);
  // Read after every await: only this lock's holder writes decisions, so nothing changed meanwhile.
  const facts = store.facts();
  if (isUnchanged(fingerprint, facts)) {
    return skip("unchanged", { version, reason: "unchanged", detail: "the provider's state is the same as the last event forwarded, of the same type" });
  }

  const now = deps.now();
  const eventId = eventIdForReceipt(r.id);
  const { sequence, envelope } = nextEvent(
    {
      receiptId: r.id,
      eventId,
      customerId: source.row.customerId,
      sourceId: key.sourceId,
      caseId: key.caseId,
      provider: source.row.provider,
      type: n.type,
      status: n.status,
      providerStatus: n.provider_status,
      check: n.check,
      trigger,
      verified,
      state,
      now,
    },
    facts,
  );
  const routable = { type: n.type, sourceId: key.sourceId, group: n.group };
  const deliveries = deliveriesFor(
    context.endpoints.map((e) => ({ id: e.row.id, status: e.row.status, filter: e.row.filter })),
    routable,
    eventId,
    now,
  );
  return record(deps, r, "forwarded", index, {
    version,
    reason: null,
    detail: null,
    eventId,
    sequence,
    type: n.type,
    status: n.status,
    fingerprint,
    groupId: n.group,
    envelope,
    deliveries,
  });
}

/** Writes the decision (one row) and says what the index should learn from it. */
function record(deps: ProcessDeps, r: Candidate, outcome: NewReceiptRow["outcome"], index: IndexWrite[], fields: Partial<NewReceiptRow>): ReceiptResult {
  const { n, ...values } = { ...r, ...fields, outcome };
  if (n === undefined) deps.store.insertReceipt(values);
  else deps.store.updateReceipt(n, values);
  // A receipt that failed for good (a refetch the provider refuses, a missing body) is the source's alert; a deleted source has none.
  if (outcome === "failed" && !values.closesCase && values.reason !== "source_deleted") {
    const sourceId = deps.key.sourceId;
    index.push({
      kind: "issue",
      issue: "receipt.failed",
      subjectId: sourceId,
      count: 1,
      detail: `${values.reason ?? "failed"}: ${values.detail ?? ""}`,
      ref: { source_id: sourceId, case_id: deps.key.caseId, receipt_id: r.id },
      at: deps.now(),
    });
  }
  if (outcome === "pending") return result(r.id, "retry", { reason: values.reason ?? null, detail: values.detail ?? null });
  // The row as just written: a new decision has no delivery state of its own yet.
  return answer(
    deps,
    {
      id: r.id,
      outcome,
      eventId: values.eventId ?? null,
      sequence: values.sequence ?? null,
      type: values.type ?? null,
      status: values.status ?? null,
      deliveries: values.deliveries ?? [],
      closesCase: values.closesCase ?? false,
      reason: values.reason ?? null,
      detail: values.detail ?? null,
    },
    index,
  );
}

/** What an answer is made of: the decided row, or the values just written to it. */
type Decided = Pick<ReceiptRow, "id" | "outcome" | "eventId" | "sequence" | "type" | "status" | "deliveries" | "closesCase" | "reason" | "detail">;

/** The answer for a decided receipt, and every index write it implies (again, for a redelivered message). */
export function answer(deps: ProcessDeps, row: Decided, index: IndexWrite[]): ReceiptResult {
  const { key } = deps;
  const customerId = deps.context.source?.row.customerId;
  const at = deps.now();
  if (customerId) {
    if (row.outcome === "forwarded" && row.eventId && row.sequence !== null && row.type && row.status) {
      index.push({
        kind: "event",
        customerId,
        id: row.eventId,
        sourceId: key.sourceId,
        caseId: key.caseId,
        sequence: row.sequence,
        type: row.type,
        status: row.status,
      });
      for (const d of row.deliveries) {
        const status = indexedStatus(d);
        if (status) {
          index.push({
            kind: "delivery",
            id: d.id,
            customerId,
            endpointId: d.endpoint_id,
            sourceId: key.sourceId,
            caseId: key.caseId,
            eventId: row.eventId,
            sequence: row.sequence,
            status,
            replay: d.replay,
            createdAt: Date.parse(d.created_at),
            at,
          });
        }
      }
    }
    if (row.outcome === "failed" && !row.closesCase) {
      index.push({
        kind: "receipt_failed",
        id: row.id,
        customerId,
        sourceId: key.sourceId,
        caseId: key.caseId,
        reason: row.reason ?? "failed",
        detail: row.detail ?? "",
        at,
      });
    }
  }
  return result(row.id, row.outcome, { reason: row.reason, detail: row.detail, eventId: row.outcome === "forwarded" ? row.eventId : null });
}

/** The case's row in the index: written when it is new or its status or openness changed (the upsert decides). */
export function caseIndexWrite(deps: ProcessDeps): IndexWrite | null {
  const source = deps.context.source;
  const status = deps.store.facts().lastForwarded?.status;
  if (!source || !status) return null;
  return {
    kind: "case",
    sourceId: deps.key.sourceId,
    caseId: deps.key.caseId,
    customerId: source.row.customerId,
    status,
    terminal: deps.store.terminal(),
    reconcileAfterMs: source.row.reconcileAfterSeconds * 1000,
    at: deps.now(),
  };
}
