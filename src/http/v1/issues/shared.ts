import { z } from "@hono/zod-openapi";
import { ALERT_TYPES, ISSUE_KINDS } from "../../../domain/issues";
import { IssueSchema } from "../../../alerts/view";

export const IssueKindField = z.enum(ISSUE_KINDS).openapi({ description: 'The condition (README "Alerts" says what triggers each and when it resolves).' });

/** The API's view of an issue: the schema notifications carry it in too. */
export const IssueView = IssueSchema;

export const ALERT_TYPES_DOC = `Notification types: ${ALERT_TYPES.map((t) => `\`${t}\``).join(", ")}.`;
