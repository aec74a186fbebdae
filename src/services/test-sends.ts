/**
 * Test sends (POST /v1/endpoints/{id}/test and the console's "Send test event"): an example event
 * of the catalog (trigger.kind "test", sequence 0, which no case ever uses), signed as the endpoint
 * signs, sent at once from the Worker, answered with the attempt. It is recorded as an attempt of
 * the endpoint (endpoint_tests, the newest TEST_ATTEMPTS_KEPT kept) and nowhere as an event: no
 * case object, no events row. It leaves the endpoint's health, status and flow control alone: one
 * request an operator asked for, whatever the endpoint is doing.
 */
import { and, desc, eq, inArray, notInArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { endpointRecord } from "../db/control-plane";
import { endpointTests, type EndpointRow, type EndpointTestRow } from "../db/schema";
import type { Attempt, EndpointFilter, Envelope, EventType } from "../domain";
import { exampleEnvelope } from "../domain/envelope";
import type { Config } from "../lib/config";
import { newId } from "../lib/ids";
import { sendOnce } from "../pipeline/send";

export const TEST_ATTEMPTS_KEPT = 20;

export type TestSend = { event: Envelope; attempt: Attempt; outcome: "succeeded" | "failed" };

/** The example of `type`, as a test: its own event id, sequence 0, trigger.kind "test". */
export function testEnvelope(type: EventType, now: number): Envelope {
  const example = exampleEnvelope(type, now);
  const at = new Date(now).toISOString();
  return {
    ...example,
    data: {
      ...example.data,
      event_id: newId("evt", now),
      sequence: 0,
      verified: false,
      trigger: { kind: "test", provider_event_type: null, provider_event_id: null, received_at: at },
    },
  };
}

/** Without a type asked for: one the endpoint's filter takes. */
export const defaultTestType = (filter: EndpointFilter): EventType => filter.types?.[0] ?? "case.updated";

export async function sendTestEvent(db: Db, config: Config, endpoint: EndpointRow, type?: EventType): Promise<TestSend> {
  const now = Date.now();
  const event = testEnvelope(type ?? defaultTestType(endpoint.filter), now);
  const sent = await sendOnce(await endpointRecord(endpoint, config.encryptionKey, now), event, now);
  const a = sent.attempt;
  await db.batch([
    db.insert(endpointTests).values({
      id: a.id,
      endpointId: endpoint.id,
      customerId: endpoint.customerId,
      eventId: event.data.event_id,
      eventType: event.type,
      at: Date.parse(a.at),
      statusCode: a.status_code,
      durationMs: a.duration_ms,
      responseExcerpt: a.response_excerpt,
      errorKind: a.error_kind,
      flagged: a.flagged,
    }),
    // Only the newest few are kept per endpoint: these are for checking a setup, not a ledger.
    db
      .delete(endpointTests)
      .where(
        and(
          eq(endpointTests.endpointId, endpoint.id),
          notInArray(
            endpointTests.id,
            db
              .select({ id: endpointTests.id })
              .from(endpointTests)
              .where(eq(endpointTests.endpointId, endpoint.id))
              .orderBy(desc(endpointTests.id))
              .limit(TEST_ATTEMPTS_KEPT),
          ),
        ),
      ),
  ]);
  return { event, attempt: a, outcome: sent.outcome === "succeeded" ? "succeeded" : "failed" };
}

/** The endpoint's recent test sends, newest first. */
export function recentTests(db: Db, endpointId: string): Promise<EndpointTestRow[]> {
  return db.select().from(endpointTests).where(eq(endpointTests.endpointId, endpointId)).orderBy(desc(endpointTests.id)).limit(TEST_ATTEMPTS_KEPT);
}

/** The last test send of each of these endpoints (the console's overview), in one query. */
export async function lastTests(db: Db, endpointIds: string[]): Promise<Map<string, EndpointTestRow>> {
  const out = new Map<string, EndpointTestRow>();
  if (!endpointIds.length) return out;
  const rows = await db.select().from(endpointTests).where(inArray(endpointTests.endpointId, endpointIds)).orderBy(desc(endpointTests.id));
  for (const r of rows) if (!out.has(r.endpointId)) out.set(r.endpointId, r);
  return out;
}

export function testView(row: EndpointTestRow) {
  return {
    id: row.id,
    event_id: row.eventId,
    type: row.eventType as EventType,
    at: new Date(row.at).toISOString(),
    outcome: row.statusCode !== null && row.statusCode >= 200 && row.statusCode < 300 ? ("succeeded" as const) : ("failed" as const),
    status_code: row.statusCode,
    duration_ms: row.durationMs,
    response_excerpt: row.responseExcerpt,
    error_kind: row.errorKind as Attempt["error_kind"],
    flagged: row.flagged,
  };
}
