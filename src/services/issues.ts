/**
 * Issues as operators and customers read and act on them (API and console): lists filtered by
 * status, kind and customer, newest first; acknowledge and resolve. Callers check access first.
 */
import { and, desc, eq, inArray, lt, ne, sql } from "drizzle-orm";
import { announce, planNotifications } from "../alerts/announce";
import type { IssueKind } from "../domain/issues";

import type { Db } from "../db/client";
import { subjectGoneStatements } from "../db/issue-writes";
import { issues, type IssueRow } from "../db/schema";

export type IssueFilter = { status?: "open" | "acknowledged" | "resolved"; kind?: IssueKind; customerId?: string; cursor?: string; limit: number };

/** Newest first; fetched with limit + 1 for the cursor. A pending streak is not an issue yet: never listed. */
export function listIssues(db: Db, f: IssueFilter): Promise<IssueRow[]> {
  return db
    .select()
    .from(issues)
    .where(
      and(
        f.status ? eq(issues.status, f.status) : ne(issues.status, "pending"),
        f.kind ? eq(issues.kind, f.kind) : undefined,
        f.customerId ? eq(issues.customerId, f.customerId) : undefined,
        f.cursor ? lt(issues.id, f.cursor) : undefined,
      ),
    )
    .orderBy(desc(issues.id))
    .limit(f.limit + 1);
}

/** Issues by status (pending streaks aside), for the console's tabs. */
export async function issueCounts(db: Db, customerId?: string): Promise<Record<"open" | "acknowledged" | "resolved", number>> {
  const rows = await db
    .select({ status: issues.status, n: sql<number>`count(*)` })
    .from(issues)
    .where(and(inArray(issues.status, ["open", "acknowledged", "resolved"]), customerId ? eq(issues.customerId, customerId) : undefined))
    .groupBy(issues.status);
  const out = { open: 0, acknowledged: 0, resolved: 0 };
  for (const r of rows) out[r.status as keyof typeof out] = r.n;
  return out;
}

/** The issue, unless it is still a pending streak (not an issue yet). */
export async function findIssueRow(db: Db, id: string): Promise<IssueRow | null> {
  const row = await db.select().from(issues).where(eq(issues.id, id)).get();
  return row && row.status !== "pending" ? row : null;
}

export type StatusChange = { ok: true; row: IssueRow; changed: boolean } | { ok: false; error: "not_found" | "already_resolved" };

/**
 * An operator's acknowledge (the issue stays open to its condition, its escalations are no longer
 * notified) or resolve (notified; the condition, if it recurs, opens a new issue). Asking for the
 * status the issue already has changes nothing.
 */
export async function setIssueStatus(env: Env, db: Db, id: string, status: "acknowledged" | "resolved", now = Date.now()): Promise<StatusChange> {
  const current = await findIssueRow(db, id);
  if (!current) return { ok: false, error: "not_found" };
  if (current.status === status) return { ok: true, row: current, changed: false };
  if (current.status === "resolved") return { ok: false, error: "already_resolved" };
  const [row] =
    status === "acknowledged"
      ? await db
          .update(issues)
          .set({ status, acknowledgedAt: now, updatedAt: now })
          .where(and(eq(issues.id, id), eq(issues.status, "open")))
          .returning()
      : await db
          .update(issues)
          .set({
            status,
            openKey: null,
            resolvedAt: now,
            resolvedBy: "operator",
            resolution: "resolved by an operator",
            revision: sql`${issues.revision} + 1`,
            revisedAt: now,
            updatedAt: now,
          })
          .where(and(eq(issues.id, id), inArray(issues.status, ["open", "acknowledged"])))
          .returning();
  // Changed meanwhile (the relay resolved it): answer with what it is now.
  if (!row) return setIssueStatus(env, db, id, status, now);
  if (status === "resolved") await planNotifications(env, [id]);
  return { ok: true, row, changed: true };
}

/** A deleted source or endpoint: its issues resolve (and are notified), its streaks go. */
export async function subjectGone(env: Env, subjectId: string, resolution: string, now = Date.now()): Promise<void> {
  await announce(env, await env.DB.batch(subjectGoneStatements(env.DB, subjectId, resolution, now)));
}
