/** An issue as the API, the console and notifications show it. */
import type { issues } from "../db/schema";
import { KINDS, type IssueKind, type IssueRef, type SubjectType } from "./kinds";

export type IssueRow = typeof issues.$inferSelect;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Paths on the relay (its base URL is the caller's to add): the issue, its subject, the case it last concerned. */
export function issueLinks(row: IssueRow) {
  const ref = row.ref ?? {};
  return {
    issue: `/v1/issues/${row.id}`,
    console: `/console/issues?status=${row.status === "pending" ? "open" : row.status}#${row.id}`,
    subject: row.subjectType === "source" ? `/v1/sources/${row.subjectId}` : `/v1/endpoints/${row.subjectId}`,
    case: ref.source_id && ref.case_id ? `/v1/cases/${ref.source_id}/${encodeURIComponent(ref.case_id)}` : null,
  };
}

export function issueView(row: IssueRow) {
  return {
    id: row.id,
    kind: row.kind as IssueKind,
    status: (row.status === "pending" ? "open" : row.status) as "open" | "acknowledged" | "resolved",
    informational: KINDS[row.kind as IssueKind]?.informational ?? false,
    subject: { type: row.subjectType as SubjectType, id: row.subjectId },
    customer_id: row.customerId,
    count: row.count,
    threshold: row.threshold,
    detail: row.detail,
    ref: (row.ref ?? {}) as IssueRef,
    first_seen_at: iso(row.firstSeenAt)!,
    last_seen_at: iso(row.lastSeenAt)!,
    acknowledged_at: iso(row.acknowledgedAt),
    resolved_at: iso(row.resolvedAt),
    resolved_by: row.resolvedBy as "relay" | "operator" | null,
    resolution: row.resolution,
    links: issueLinks(row),
  };
}

export type IssueView = ReturnType<typeof issueView>;

export type Transition = "opened" | "escalated" | "resolved";

/** What an alert endpoint receives (README "Alerts"), signed the Standard Webhooks way. */
export type Notification = {
  type: string;
  timestamp: string;
  data: { notification_id: string; transition: Transition; issue: IssueView };
};

/** The same transition of the same issue always has the same id (its webhook-id): a receiver can drop repeats. */
export const notificationId = (row: IssueRow) => `ntf_${row.id.slice(4)}_${row.revision}`;

export function notificationFor(row: IssueRow, transition: Transition, now: number): Notification {
  const kind = row.kind as IssueKind;
  return {
    type: transition === "resolved" ? (KINDS[kind].resolvedType ?? kind) : kind,
    timestamp: new Date(now).toISOString(),
    data: { notification_id: notificationId(row), transition, issue: issueView(row) },
  };
}
