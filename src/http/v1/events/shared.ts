import type { Context } from "hono";
import { findEventRow, type EventIndexRow } from "../../../services/events";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";

/** The event's index row, if the caller may see it (another customer's event is not found). */
export async function findEvent(c: Context<HonoEnv>, id: string): Promise<EventIndexRow> {
  const p = c.var.principal;
  const row = await findEventRow(c.env.DB, id, p.kind === "customer" ? p.customerId : undefined);
  if (!row) throw new ApiError("not_found", `Event ${id} not found.`);
  return row;
}
