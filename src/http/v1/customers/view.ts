import type { customers } from "../../../db/schema";
import { iso } from "../../pagination";

export const customerView = (r: typeof customers.$inferSelect) => ({ id: r.id, name: r.name, created_at: iso(r.createdAt) as string });
