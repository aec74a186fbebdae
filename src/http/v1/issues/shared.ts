import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { ALERT_TYPES, ISSUE_KINDS, ISSUE_STATUSES } from "../../../alerts/kinds";
import type { IssueRow } from "../../../alerts/view";
import { findIssueRow } from "../../../services/issues";
import { assertVisible } from "../../auth";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";
import { Timestamp } from "../schemas";

export const IssueKindField = z.enum(ISSUE_KINDS).openapi({ description: "The condition (README \"Alerts\" says what triggers each and when it resolves)." });

export const IssueView = z
  .object({
    id: z.string(),
    kind: IssueKindField,
    status: z.enum(ISSUE_STATUSES),
    informational: z.boolean().openapi({ description: "True for case.recovered_by_reconcile: resolves by itself after 24 h without another." }),
    subject: z.object({ type: z.enum(["source", "endpoint"]), id: z.string() }),
    customer_id: z.string(),
    count: z.number().int().openapi({ description: "Occurrences since the issue (or the streak that opened it) began: failed attempts, failed deliveries, dead letters, ..." }),
    threshold: z.number().int().openapi({ description: "Occurrences that opened it." }),
    detail: z.string().openapi({ description: "What the last occurrence said: a status code, a reason." }),
    ref: z
      .object({ source_id: z.string().optional(), case_id: z.string().optional(), event_id: z.string().optional(), delivery_id: z.string().optional(), receipt_id: z.string().optional() })
      .openapi({ description: "What the last occurrence was about." }),
    first_seen_at: Timestamp,
    last_seen_at: Timestamp,
    acknowledged_at: Timestamp.nullable(),
    resolved_at: Timestamp.nullable(),
    resolved_by: z.enum(["relay", "operator"]).nullable().openapi({ description: "relay: the condition cleared (or its subject was deleted); operator: PATCH or the console." }),
    resolution: z.string().nullable(),
    links: z
      .object({ issue: z.string(), console: z.string(), subject: z.string(), case: z.string().nullable() })
      .openapi({ description: "Paths on the relay: this issue, the operator console's page, the source or endpoint, the case last concerned." }),
  })
  .openapi("Issue");

export const ALERT_TYPES_DOC = `Notification types: ${ALERT_TYPES.map((t) => `\`${t}\``).join(", ")}.`;

/** 404 unless the issue exists (not a pending streak) and the caller may see it. */
export async function findIssue(c: Context<HonoEnv>, id: string): Promise<IssueRow> {
  const row = await findIssueRow(c.var.db, id);
  if (!row) throw new ApiError("not_found", `Issue ${id} not found.`);
  assertVisible(c, row.customerId, `Issue ${id}`);
  return row;
}
