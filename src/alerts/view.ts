/** An issue as the API, the console and notifications show it: one zod schema each, documented in OpenAPI. */
import { z } from "@hono/zod-openapi";
import type { IssueRow } from "../db/schema";
import { ALERT_TYPES, ISSUE_KINDS, ISSUE_STATUSES, KINDS, type IssueRef } from "../domain/issues";

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

const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T10:00:00.000Z" });

export const IssueSchema = z
  .object({
    id: z.string(),
    kind: z.enum(ISSUE_KINDS).openapi({ description: 'The condition (README "Alerts" says what triggers each and when it resolves).' }),
    status: z.enum(ISSUE_STATUSES),
    informational: z.boolean().openapi({ description: "True for case.recovered_by_reconcile: resolves by itself after 24 h without another." }),
    subject: z.object({ type: z.enum(["source", "endpoint"]), id: z.string() }),
    customer_id: z.string(),
    count: z
      .number()
      .int()
      .openapi({ description: "Occurrences since the issue (or the streak that opened it) began: failed attempts, failed deliveries, dead letters, ..." }),
    threshold: z.number().int().openapi({ description: "Occurrences that opened it." }),
    detail: z.string().openapi({ description: "What the last occurrence said: a status code, a reason." }),
    ref: z
      .object({
        source_id: z.string().optional(),
        case_id: z.string().optional(),
        event_id: z.string().optional(),
        delivery_id: z.string().optional(),
        receipt_id: z.string().optional(),
      })
      .openapi({ description: "What the last occurrence was about." }),
    first_seen_at: Timestamp,
    last_seen_at: Timestamp,
    acknowledged_at: Timestamp.nullable(),
    resolved_at: Timestamp.nullable(),
    resolved_by: z
      .enum(["relay", "operator"])
      .nullable()
      .openapi({ description: "relay: the condition cleared (or its subject was deleted); operator: PATCH or the console." }),
    resolution: z.string().nullable(),
    links: z
      .object({ issue: z.string(), console: z.string(), subject: z.string(), case: z.string().nullable() })
      .openapi({ description: "Paths on the relay: this issue, the operator console's page, the source or endpoint, the case last concerned." }),
  })
  .openapi("Issue");

export const TRANSITIONS = ["opened", "escalated", "resolved"] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** What an alert endpoint receives (README "Alerts"), signed the Standard Webhooks way. */
export const NotificationSchema = z
  .object({
    type: z
      .enum(ALERT_TYPES as [string, ...string[]])
      .openapi({ description: "The issue's kind when it opens or escalates; its resolution's name when it resolves." }),
    timestamp: Timestamp,
    data: z.object({
      notification_id: z.string().openapi({ description: "Also the webhook-id: the same on every retry of this notification." }),
      transition: z.enum(TRANSITIONS),
      issue: IssueSchema.openapi({ description: "What GET /v1/issues/{id} returned when the notification was made." }),
    }),
  })
  .openapi("AlertNotification");

export type Notification = z.infer<typeof NotificationSchema>;

export function issueView(row: IssueRow): z.infer<typeof IssueSchema> {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status === "pending" ? ("open" as const) : row.status,
    informational: KINDS[row.kind].informational,
    subject: { type: row.subjectType, id: row.subjectId },
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

export type IssueView = z.infer<typeof IssueSchema>;

/** The same transition of the same issue always has the same id (its webhook-id): a receiver can drop repeats. */
export const notificationId = (row: IssueRow) => `ntf_${row.id.slice(4)}_${row.revision}`;

export function notificationFor(row: IssueRow, transition: Transition, now: number): Notification {
  const kind = row.kind;
  return {
    type: transition === "resolved" ? (KINDS[kind].resolvedType ?? kind) : kind,
    timestamp: new Date(now).toISOString(),
    data: { notification_id: notificationId(row), transition, issue: issueView(row) },
  };
}
