/**
 * The case object's decisions, as pure functions of what the case has seen: whether a receipt is
 * stale, whether a refetched state is news, what the next event is, which endpoints it goes to,
 * and whether a quiet case is due for a reconcile. Unit-tested without an object
 * (test/case/decide.test.ts); the object reads the facts from its storage and records the outcome.
 */
import type { LastForwarded } from "../db/case/schema";
import type { Check, Delivery, EndpointFilter, Envelope, EventType, Status, Trigger } from "../domain";
import { EnvelopeSchema } from "../domain/envelope";
import { newDeliveryId } from "../lib/ids";
import { compareVersions } from "../pipeline/fingerprint";

/** What decisions depend on, as the case's storage knows it. */
export type CaseFacts = {
  /** Newest provider version seen per subject ("case", "check:<id>"). */
  versions: Readonly<Record<string, string>>;
  /** Highest sequence ever given, deleted events included. */
  lastSequence: number;
  /** Its check is not needed to decide (the fingerprint covers it): kept only once retention deletes the row. */
  lastForwarded: Omit<LastForwarded, "check"> | null;
};

export type Staleness = { stale: false } | { stale: true; newest: string };

/** Older than the newest version already seen for the same subject; equal versions are not stale. */
export function staleness(subject: string, version: string | null, versions: CaseFacts["versions"]): Staleness {
  const newest = Object.hasOwn(versions, subject) ? versions[subject] : undefined;
  if (version === null || newest === undefined || compareVersions(version, newest) >= 0) return { stale: false };
  return { stale: true, newest };
}

/** Same state, type and check as the last event forwarded: nothing new to tell an endpoint. */
export const isUnchanged = (fingerprint: string, facts: CaseFacts): boolean => facts.lastForwarded?.fingerprint === fingerprint;

export type NextEvent = {
  receiptId: string;
  eventId: string;
  customerId: string;
  sourceId: string;
  caseId: string;
  provider: string;
  type: EventType;
  status: Status;
  providerStatus: string | null;
  check: Check | null;
  trigger: Trigger;
  verified: boolean;
  state: unknown;
  now: number;
};

/**
 * The next event of the case: numbered after every sequence it ever gave, never reusing one. Built
 * through the envelope's schema, the one the OpenAPI document publishes: an envelope that would
 * not match it fails here, before anything is stored or sent.
 */
export function nextEvent(e: NextEvent, facts: CaseFacts): { sequence: number; envelope: Envelope } {
  const sequence = facts.lastSequence + 1;
  return {
    sequence,
    envelope: EnvelopeSchema.parse({
      type: e.type,
      timestamp: new Date(e.now).toISOString(),
      data: {
        event_id: e.eventId,
        provider: e.provider,
        source_id: e.sourceId,
        case_id: e.caseId,
        sequence,
        status: e.status,
        provider_status: e.providerStatus,
        check: e.check,
        trigger: e.trigger,
        verified: e.verified,
        state: e.state,
      },
    }),
  };
}

export type Routable = { type: EventType; sourceId: string; group: string | null };

export function filterMatches(filter: EndpointFilter, e: Routable): boolean {
  if (filter.types && !filter.types.includes(e.type)) return false;
  if (filter.source_ids && !filter.source_ids.includes(e.sourceId)) return false;
  if (filter.groups && (e.group === null || !filter.groups.includes(e.group))) return false;
  return true;
}

export type EndpointTarget = { id: string; status: string; filter: EndpointFilter };

/** One delivery per endpoint whose filter matches, due now; a paused or disabled endpoint holds it. */
export function deliveriesFor(endpoints: readonly EndpointTarget[], e: Routable, eventId: string, now: number, replay = false): Delivery[] {
  return endpoints.filter((ep) => replay || filterMatches(ep.filter, e)).map((ep) => newDelivery(ep, eventId, now, replay));
}

export function newDelivery(ep: EndpointTarget, eventId: string, now: number, replay: boolean): Delivery {
  const active = ep.status === "active";
  const at = new Date(now).toISOString();
  return {
    id: newDeliveryId(eventId),
    endpoint_id: ep.id,
    status: active ? "pending" : "held",
    replay,
    created_at: at,
    attempts: [],
    retry_base: 0,
    next_attempt_at: active ? at : null,
    in_flight_since: null,
    maybe_delivered: false,
  };
}

export type ReconcileDue = { due: true } | { due: false; at: number };

/** A case is reconciled once it has been quiet for its source's reconcile_after_seconds. */
export function reconcileDue(lastActivityAt: number | null, afterMs: number, now: number): ReconcileDue {
  if (lastActivityAt === null || now - lastActivityAt >= afterMs) return { due: true };
  return { due: false, at: lastActivityAt + afterMs };
}
