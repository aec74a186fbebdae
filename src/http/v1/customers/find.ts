import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { customers } from "../../../db/schema";
import { assertVisible } from "../../auth";
import type { HonoEnv } from "../../context";
import { ApiError } from "../../errors";

/** The customer, if it exists and the caller may see it; 404 otherwise. */
export async function findCustomer(c: Context<HonoEnv>, id: string) {
  const row = await c.var.db.select().from(customers).where(eq(customers.id, id)).get();
  if (!row) throw new ApiError("not_found", `Customer ${id} not found.`);
  assertVisible(c, row.id, `Customer ${id}`);
  return row;
}
