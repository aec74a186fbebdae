import type { Context } from "hono";
import { assertVisible } from "../../auth";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";
import type { EventRow } from "../../../services/events";

export async function findEvent(c: Context<HonoEnv>, id: string): Promise<EventRow> {
  const row = await c.env.DB.prepare("SELECT * FROM events WHERE id = ?").bind(id).first<EventRow>();
  if (!row) throw new ApiError("not_found", `Event ${id} not found.`);
  assertVisible(c, row.customer_id, `Event ${id}`);
  return row;
}
