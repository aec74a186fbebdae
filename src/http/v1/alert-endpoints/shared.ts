import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { CUSTOMER_KINDS, ISSUE_KINDS, type IssueKind } from "../../../alerts/kinds";
import { alertEndpoints } from "../../../db/schema";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";
import { iso } from "../../pagination";
import { Timestamp } from "../schemas";

export type AlertEndpointRow = typeof alertEndpoints.$inferSelect;

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

/** 404 unless the caller may see it: the operator sees every one, a customer key only its customer's. */
export async function findAlertEndpoint(c: Context<HonoEnv>, id: string): Promise<AlertEndpointRow> {
  const row = await c.var.db.select().from(alertEndpoints).where(eq(alertEndpoints.id, id)).get();
  const p = c.var.principal;
  if (!row || (p.kind === "customer" && row.customerId !== p.customerId)) throw new ApiError("not_found", `Alert endpoint ${id} not found.`);
  return row;
}
