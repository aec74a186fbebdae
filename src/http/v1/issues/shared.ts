import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { ALERT_TYPES, ISSUE_KINDS } from "../../../alerts/kinds";
import { IssueSchema, type IssueRow } from "../../../alerts/view";
import { findIssueRow } from "../../../services/issues";
import { assertVisible } from "../../auth";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";

export const IssueKindField = z.enum(ISSUE_KINDS).openapi({ description: 'The condition (README "Alerts" says what triggers each and when it resolves).' });

/** The API's view of an issue: the schema notifications carry it in too. */
export const IssueView = IssueSchema;

export const ALERT_TYPES_DOC = `Notification types: ${ALERT_TYPES.map((t) => `\`${t}\``).join(", ")}.`;

/** 404 unless the issue exists (not a pending streak) and the caller may see it. */
export async function findIssue(c: Context<HonoEnv>, id: string): Promise<IssueRow> {
  const row = await findIssueRow(c.var.db, id);
  if (!row) throw new ApiError("not_found", `Issue ${id} not found.`);
  assertVisible(c, row.customerId, `Issue ${id}`);
  return row;
}
