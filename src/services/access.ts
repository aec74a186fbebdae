/**
 * Who may see what. The operator (the admin token) sees every customer's rows; a customer's key
 * sees only its own, and another customer's row is not found, never forbidden, so ids reveal
 * nothing. The API's and the console's lookups by id go through these finders; failed receipts
 * and a delivery's attempts are looked up with the caller's customer (`ownCustomer`).
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import type { EventDetail } from "../case/types";
import {
  alertEndpoints,
  customers,
  endpoints,
  sources,
  type AlertEndpointRow,
  type EndpointRow,
  type EventIndexRow,
  type IssueRow,
  type SourceRow,
} from "../db/schema";
import { RelayError } from "../lib/errors";
import { eventDetail, findEventRow } from "./events";
import { findIssueRow } from "./issues";

/** Who is calling: the operator, or one customer with its own API key. */
export type Principal = { kind: "admin" } | { kind: "customer"; customerId: string };

/** What a finder needs: the database and the caller (a request's `c.var` is one). */
export type Access = { db: Db; principal: Principal };

/** The customer a customer key is limited to; undefined for the operator. */
export const ownCustomer = (p: Principal): string | undefined => (p.kind === "customer" ? p.customerId : undefined);

/** 404 unless the caller may see a row owned by `ownerId`. */
export function assertVisible(p: Principal, ownerId: string, what: string): void {
  if (p.kind === "customer" && p.customerId !== ownerId) throw new RelayError("not_found", `${what} not found.`);
}

function visible<T>(a: Access, row: T | null | undefined, ownerOf: (row: T) => string, what: string): T {
  if (!row) throw new RelayError("not_found", `${what} not found.`);
  assertVisible(a.principal, ownerOf(row), what);
  return row;
}

export async function findCustomer(a: Access, id: string) {
  return visible(a, await a.db.select().from(customers).where(eq(customers.id, id)).get(), (r) => r.id, `Customer ${id}`);
}

export async function findSource(a: Access, id: string): Promise<SourceRow> {
  return visible(a, await a.db.select().from(sources).where(eq(sources.id, id)).get(), (r) => r.customerId, `Source ${id}`);
}

export async function findEndpoint(a: Access, id: string): Promise<EndpointRow> {
  return visible(a, await a.db.select().from(endpoints).where(eq(endpoints.id, id)).get(), (r) => r.customerId, `Endpoint ${id}`);
}

export async function findAlertEndpoint(a: Access, id: string): Promise<AlertEndpointRow> {
  return visible(a, await a.db.select().from(alertEndpoints).where(eq(alertEndpoints.id, id)).get(), (r) => r.customerId ?? "", `Alert endpoint ${id}`);
}

/** An issue (never a pending streak below its threshold). */
export async function findIssue(a: Access, id: string): Promise<IssueRow> {
  return visible(a, await findIssueRow(a.db, id), (r) => r.customerId, `Issue ${id}`);
}

/** An event's index row (its detail lives in its case object). */
export async function findEvent(a: Access, env: Env, id: string): Promise<EventIndexRow> {
  return visible(a, await findEventRow(env, id, ownCustomer(a.principal)), (r) => r.customerId, `Event ${id}`);
}

/** An event in full (envelope, deliveries, attempts), from its case object. */
export async function findEventDetail(a: Access, env: Env, id: string): Promise<EventDetail> {
  const detail = await eventDetail(env, await findEvent(a, env, id));
  // Indexed but gone from its case: retention deleted it there first.
  if (!detail) throw new RelayError("not_found", `Event ${id} not found.`);
  return detail;
}

type Owned = typeof sources | typeof endpoints | typeof alertEndpoints;

/**
 * A page of a table whose rows belong to customers, newest first by id, fetched with limit + 1
 * for the cursor. `customerId` undefined: every customer's (the operator's list).
 */
export function ownedPage<T extends Owned>(db: Db, table: T, q: { customerId?: string; cursor?: string; limit: number }): Promise<T["$inferSelect"][]> {
  const t = table as typeof sources;
  return db
    .select()
    .from(t)
    .where(and(q.customerId ? eq(t.customerId, q.customerId) : undefined, q.cursor ? lt(t.id, q.cursor) : undefined))
    .orderBy(desc(t.id))
    .limit(q.limit + 1) as Promise<T["$inferSelect"][]>;
}
