import type { CustomerRow } from "../../../db/schema";
import { iso } from "../../pagination";

export const customerView = (r: CustomerRow) => ({ id: r.id, name: r.name, created_at: iso(r.createdAt) as string });
