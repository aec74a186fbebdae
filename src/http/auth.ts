import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { customers } from "../db/schema";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import type { Principal } from "../services/access";
import type { HonoEnv } from "./context";
import { RelayError } from "../lib/errors";

/** Customer API keys look like crk_<random>; only their SHA-256 is stored. */
export const CUSTOMER_KEY_PREFIX = "crk_";

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer[ ]+([\x21-\x7e]+)$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

export async function resolvePrincipal(c: Context<HonoEnv>, token: string): Promise<Principal | null> {
  if (await timingSafeEqualStrings(token, c.var.config.adminToken)) return { kind: "admin" };
  if (!token.startsWith(CUSTOMER_KEY_PREFIX)) return null;
  const row = await c.var.db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.apiKeyHash, await sha256Hex(token)))
    .get();
  return row ? { kind: "customer", customerId: row.id } : null;
}

/** Bearer auth for the admin API: the operator's ADMIN_TOKEN, or a customer's own API key. */
export const requireAuth: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw new RelayError("unauthorized", "Missing bearer token: send `Authorization: Bearer <token>`.");
  const principal = await resolvePrincipal(c, token);
  if (!principal) throw new RelayError("unauthorized", "The bearer token is not valid.");
  c.set("principal", principal);
  await next();
};

export function requireAdmin(c: Context<HonoEnv>): void {
  if (c.var.principal.kind !== "admin") throw new RelayError("forbidden", "This operation needs the operator's admin token.");
}

/**
 * The customer a request is limited to: a customer key is always limited to its own customer
 * (naming another answers 404, as if it did not exist); the admin may name any or none.
 */
export function customerScope(c: Context<HonoEnv>, requested?: string | null): string | undefined {
  const p = c.var.principal;
  if (p.kind === "admin") return requested ?? undefined;
  if (requested && requested !== p.customerId) throw new RelayError("not_found", `Customer ${requested} not found.`);
  return p.customerId;
}
