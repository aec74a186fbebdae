/** Endpoints as the pipeline needs them: live signing secrets decrypted, filters applied, cached briefly. */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { endpoints } from "../db/schema";
import type { EndpointFilter, EventType } from "../domain";
import { decryptJson } from "../lib/crypto";

export type EndpointRow = typeof endpoints.$inferSelect;

export type LoadedEndpoint = {
  row: EndpointRow;
  /** The current secret, plus the previous one while its 24 h overlap lasts. */
  secrets: string[];
};

const TTL_MS = 5_000;
const cache = new Map<string, { at: number; value: Promise<LoadedEndpoint[]> }>();

async function load(db: Db, encryptionKey: string, customerId: string, now: number): Promise<LoadedEndpoint[]> {
  const rows = await db.select().from(endpoints).where(eq(endpoints.customerId, customerId));
  return Promise.all(rows.map((row) => withSecrets(row, encryptionKey, now)));
}

export async function withSecrets(row: EndpointRow, encryptionKey: string, now = Date.now()): Promise<LoadedEndpoint> {
  const secrets = [await decryptJson<string>(encryptionKey, row.secretEnc)];
  if (row.previousSecretEnc && row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now) {
    secrets.push(await decryptJson<string>(encryptionKey, row.previousSecretEnc));
  }
  return { row, secrets };
}

/** All endpoints of a customer, whatever their status (paused and disabled ones hold deliveries). */
export function customerEndpoints(db: Db, encryptionKey: string, customerId: string, now = Date.now()): Promise<LoadedEndpoint[]> {
  const hit = cache.get(customerId);
  if (hit && now - hit.at < TTL_MS) return hit.value;
  const value = load(db, encryptionKey, customerId, now);
  cache.set(customerId, { at: now, value });
  value.catch(() => cache.delete(customerId));
  return value;
}

export function forgetEndpoints(customerId?: string): void {
  if (customerId) cache.delete(customerId);
  else cache.clear();
}

export type Routable = { type: EventType; sourceId: string; group: string | null };

export function filterMatches(filter: EndpointFilter, e: Routable): boolean {
  if (filter.types && !filter.types.includes(e.type)) return false;
  if (filter.source_ids && !filter.source_ids.includes(e.sourceId)) return false;
  if (filter.groups && (e.group === null || !filter.groups.includes(e.group))) return false;
  return true;
}
