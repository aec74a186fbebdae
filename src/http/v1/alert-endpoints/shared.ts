import { z } from "@hono/zod-openapi";
import { CUSTOMER_KINDS, ISSUE_KINDS, type IssueKind } from "../../../domain/issues";
import type { AlertEndpointRow } from "../../../db/schema";
import { iso } from "../../pagination";
import { Timestamp } from "../schemas";

/** Alert endpoints one owner (the operator, or one customer) may have. */
export const MAX_ALERT_ENDPOINTS = 10;

export const AlertEndpointView = z
  .object({
    id: z.string(),
    customer_id: z.string().nullable().openapi({
      description: "Null: the operator's, receiving every issue. Else the customer's, receiving only issues about its own endpoints and deliveries.",
    }),
    url: z.string(),
    description: z.string(),
    kinds: z.array(z.enum(ISSUE_KINDS)).nullable().openapi({ description: "Only issues of these kinds (null: every kind it may receive)." }),
    receives: z.array(z.enum(ISSUE_KINDS)).openapi({ description: "The kinds it receives, its owner and `kinds` considered." }),
    last_success_at: Timestamp.nullable(),
    last_failure_at: Timestamp.nullable(),
    last_failure: z.string().nullable(),
    created_at: Timestamp,
  })
  .openapi("AlertEndpoint");

/** What an alert endpoint of this owner may receive at most. */
export const kindsFor = (customerId: string | null): readonly IssueKind[] => (customerId === null ? ISSUE_KINDS : CUSTOMER_KINDS);

export function alertEndpointView(row: AlertEndpointRow) {
  const allowed = kindsFor(row.customerId);
  return {
    id: row.id,
    customer_id: row.customerId,
    url: row.url,
    description: row.description,
    kinds: row.kinds,
    receives: allowed.filter((k) => !row.kinds || row.kinds.includes(k)),
    last_success_at: iso(row.lastSuccessAt),
    last_failure_at: iso(row.lastFailureAt),
    last_failure: row.lastFailure,
    created_at: iso(row.createdAt)!,
  };
}
