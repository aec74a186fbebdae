import { createRoute, z } from "@hono/zod-openapi";
import { RECEIPT_OUTCOMES } from "../../../domain";
import { findFailedReceipt, replayReceipt } from "../../../services/receipts";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { RelayError } from "../../../lib/errors";
import { ownCustomer } from "../../../services/access";

const ReplayedReceipt = z
  .object({
    receipt_id: z.string(),
    outcome: z
      .enum([...RECEIPT_OUTCOMES, "retry"])
      .openapi({ description: "What processing it again came to; `retry`: the provider API still fails, try again later." }),
    reason: z.string().nullable(),
    detail: z.string().nullable(),
    event_id: z.string().nullable(),
  })
  .openapi("ReplayedReceipt");

const route = createRoute({
  method: "post",
  path: "/v1/receipts/{id}/replay",
  tags: ["cases"],
  summary: "Process a failed receipt again",
  description:
    "A receipt that could not be processed after every retry (dead-lettered, or refused by the provider's API) is processed again from the body its case kept, as if it had just arrived: refetched where the provider has an API, forwarded as the case's next event if its state is news. Works for providers without an API too.",
  request: {
    params: z.object({
      id: z
        .string()
        .regex(/^rcv_[0-9A-Z]{26}$/, "must be a receipt id (rcv_...)")
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "Processed", content: { "application/json": { schema: ReplayedReceipt } } },
    ...errorResponses(401, 404, 409, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const row = await findFailedReceipt(c.var.db, id, ownCustomer(c.var.principal));
    if (!row) throw new RelayError("not_found", `No failed receipt ${id}: only receipts that failed can be replayed.`);
    const r = await replayReceipt(c.env, row);
    if (!r) throw new RelayError("conflict", `Receipt ${id} is no longer kept by its case (retention).`);
    return c.json(
      { receipt_id: r.receiptId, outcome: r.outcome === "duplicate" ? "unchanged" : r.outcome, reason: r.reason, detail: r.detail, event_id: r.eventId },
      200,
    );
  });
}
