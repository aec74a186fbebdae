/**
 * Issue upserts as index writes (src/db/index-writes.ts): a condition seen opens or counts the
 * subject's issue, a condition cleared resolves it. They ride in the consumer's batch, a case
 * object's outbox or the cron's statements like every other index write, and like them can run
 * twice or late: a status moves only forward (pending → open → resolved), a guarded clear only
 * resolves what was last seen before it. Counts are activity figures: a batch retried after a lost
 * answer may count its occurrences twice.
 *
 * A statement whose issue opened, escalated or resolved returns its id as `announce_issue`, so the
 * writer can hand it to the notifier (src/alerts/announce.ts).
 */
import { KINDS, openKey, type IssueKind, type IssueRef } from "../domain/issues";
import { newId } from "../lib/ids";

/** A condition seen `count` times (between `since` and `at`) for a source or endpoint. */
export type IssueSeen = {
  kind: "issue";
  issue: IssueKind;
  subjectId: string;
  count: number;
  /** Occurrences that open the issue; the kind's own by default (src/domain/issues.ts). */
  threshold?: number;
  since?: number;
  /** A short, safe summary of the last occurrence: a status code, a reason. */
  detail: string;
  ref: IssueRef | null;
  at: number;
};

/** The condition cleared at `at`: the subject's issue of this kind resolves, and a streak below its threshold is forgotten. */
export type IssueClear = {
  kind: "issue_clear";
  issue: IssueKind;
  subjectId: string;
  /** Why, as the issue shows it once resolved. */
  resolution: string;
  /** Only once nothing of the condition is left in the index: no failed delivery to the endpoint, no failed receipt of the source. */
  unless?: "failed_deliveries" | "failed_receipts";
  at: number;
};

export type IssueWrite = IssueSeen | IssueClear;

export const isIssueWrite = (w: { kind: string }): w is IssueWrite => w.kind === "issue" || w.kind === "issue_clear";

/** Several sightings of the same condition in one batch count as one write. */
export function mergeSeen(a: IssueSeen, b: IssueSeen): IssueSeen {
  const later = b.at >= a.at ? b : a;
  return { ...later, count: a.count + b.count, since: Math.min(a.since ?? a.at, b.since ?? b.at), at: Math.max(a.at, b.at) };
}

const LEFT: Record<NonNullable<IssueClear["unless"]>, string> = {
  failed_deliveries: "NOT EXISTS (SELECT 1 FROM deliveries WHERE endpoint_id = ?2 AND status = 'failed')",
  failed_receipts: "NOT EXISTS (SELECT 1 FROM failed_receipts WHERE source_id = ?2)",
};

export function issueStatements(db: D1Database, w: IssueWrite): D1PreparedStatement[] {
  return w.kind === "issue" ? [seenStatement(db, w)] : clearStatements(db, w);
}

function seenStatement(db: D1Database, w: IssueSeen): D1PreparedStatement {
  const spec = KINDS[w.issue];
  const table = spec.subject === "source" ? "sources" : "endpoints";
  // A pending streak interrupted for longer than the kind's window starts again.
  const fresh = "(issues.status = 'pending' AND ?9 > 0 AND excluded.last_seen_at - issues.last_seen_at > ?9)";
  const count = `(CASE WHEN ${fresh} THEN excluded.count ELSE issues.count + excluded.count END)`;
  const opens = `(issues.status = 'pending' AND ${count} >= issues.threshold)`;
  const escalates = `(issues.status IN ('open', 'acknowledged') AND ${count} >= issues.escalate_at)`;
  const later = "excluded.last_seen_at >= issues.last_seen_at";
  // A sighting made before the subject's issue of this kind was last resolved belongs to that issue
  // and opens no new one: the twin of the guarded clear, for streaks many case objects write, whose
  // index writes may land after a later success resolved the issue.
  const afterResolution = spec.guardedClear
    ? " AND NOT EXISTS (SELECT 1 FROM issues r WHERE r.subject_id = ?5 AND r.kind = ?3 AND r.status = 'resolved' AND r.resolved_at >= ?10)"
    : "";
  // The customer is the subject's: a subject deleted meanwhile opens nothing.
  return db
    .prepare(
      `INSERT INTO issues (id, open_key, kind, subject_type, subject_id, customer_id, status, count, threshold, escalate_at,
                           first_seen_at, last_seen_at, detail, ref, revision, revised_at, notified_revision, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, s.customer_id, CASE WHEN ?6 >= ?7 THEN 'open' ELSE 'pending' END, ?6, ?7, ?7 * 10,
              ?8, ?10, ?11, ?12, CASE WHEN ?6 >= ?7 THEN 1 ELSE 0 END, ?10, 0, ?10, ?10
         FROM ${table} s WHERE s.id = ?5${afterResolution}
       ON CONFLICT (open_key) DO UPDATE SET
         count = ${count},
         first_seen_at = CASE WHEN ${fresh} THEN excluded.first_seen_at ELSE MIN(issues.first_seen_at, excluded.first_seen_at) END,
         last_seen_at = MAX(issues.last_seen_at, excluded.last_seen_at),
         detail = CASE WHEN ${later} THEN excluded.detail ELSE issues.detail END,
         ref = CASE WHEN ${later} THEN excluded.ref ELSE issues.ref END,
         status = CASE WHEN ${opens} THEN 'open' ELSE issues.status END,
         revision = issues.revision + CASE WHEN ${opens} OR ${escalates} THEN 1 ELSE 0 END,
         revised_at = CASE WHEN ${opens} OR ${escalates} THEN excluded.updated_at ELSE issues.revised_at END,
         escalate_at = CASE WHEN ${escalates} THEN issues.escalate_at * 10 ELSE issues.escalate_at END,
         updated_at = MAX(issues.updated_at, excluded.updated_at)
       RETURNING CASE WHEN status <> 'pending' AND revised_at = ?10 THEN id END AS announce_issue`,
    )
    .bind(
      newId("iss", w.at),
      openKey(w.issue, w.subjectId),
      w.issue,
      spec.subject,
      w.subjectId,
      w.count,
      w.threshold ?? spec.threshold,
      w.since ?? w.at,
      spec.windowMs,
      w.at,
      w.detail.slice(0, 500),
      w.ref ? JSON.stringify(w.ref) : null,
    );
}

function clearStatements(db: D1Database, w: IssueClear): D1PreparedStatement[] {
  const spec = KINDS[w.issue];
  const conditions = [spec.guardedClear ? "last_seen_at <= ?3" : null, w.unless ? LEFT[w.unless] : null]
    .filter(Boolean)
    .map((c) => ` AND ${c}`)
    .join("");
  const key = openKey(w.issue, w.subjectId);
  const resolve = db
    .prepare(
      `UPDATE issues SET status = 'resolved', open_key = NULL, resolved_at = ?3, resolved_by = 'relay', resolution = ?4,
              revision = revision + 1, revised_at = ?3, updated_at = ?3
        WHERE open_key = ?1 AND status IN ('open', 'acknowledged')${conditions}
        RETURNING id AS announce_issue`,
    )
    .bind(key, w.subjectId, w.at, w.resolution.slice(0, 500));
  if (!spec.streak) return [resolve];
  return [
    resolve,
    // D1 wants exactly as many values as the statement's highest parameter number.
    db
      .prepare(`DELETE FROM issues WHERE open_key = ?1 AND subject_id = ?2 AND status = 'pending'${conditions}`)
      .bind(...(spec.guardedClear ? [key, w.subjectId, w.at] : [key, w.subjectId])),
  ];
}

/** The subject is gone (a deleted source or endpoint): its issues resolve, its streaks are forgotten. */
export function subjectGoneStatements(db: D1Database, subjectId: string, resolution: string, at: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE issues SET status = 'resolved', open_key = NULL, resolved_at = ?2, resolved_by = 'relay', resolution = ?3,
                revision = revision + 1, revised_at = ?2, updated_at = ?2
          WHERE subject_id = ?1 AND status IN ('open', 'acknowledged')
          RETURNING id AS announce_issue`,
      )
      .bind(subjectId, at, resolution),
    db.prepare("DELETE FROM issues WHERE subject_id = ?1 AND status = 'pending'").bind(subjectId),
  ];
}
