/**
 * Sources and endpoints as the pipeline reads them on every webhook: decrypted, and cached in this
 * isolate for a few seconds so ingest, the consumer and case objects do not read D1 each time. A
 * changed or deleted source or endpoint takes effect within TTL_MS (sooner in the isolate that
 * changed it, which forgets its copy).
 */
import { eq } from "drizzle-orm";
import { decryptJson } from "../lib/crypto";
import type { Db } from "./client";
import { endpoints, sources } from "./schema";
import type { EndpointRow, SourceRow } from "./schema";

/** A source with its config decrypted (still to be parsed by its provider's adapter). */
export type SourceRecord = { row: SourceRow; config: unknown };

/**
 * An endpoint with its live signing credentials: the current whsec_ secret, plus the previous
 * while its 24 h overlap lasts; the same for its v1a whsk_ keys, decrypted only when it signs v1a.
 */
export type EndpointRecord = { row: EndpointRow; secrets: string[]; signingKeys: string[] };

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

type Cache<T> = Map<string, { at: number; value: Promise<T> }>;
const sourceCache: Cache<SourceRecord | null> = new Map();
const endpointCache: Cache<EndpointRecord[]> = new Map();

function cached<T>(cache: Cache<T>, key: string, now: number, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.value;
  const value = load();
  cache.set(key, { at: now, value });
  value.catch(() => cache.delete(key));
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  return value;
}

export function loadSourceRecord(db: Db, encryptionKey: string, id: string, now = Date.now()): Promise<SourceRecord | null> {
  return cached(sourceCache, id, now, async () => {
    const row = await db.select().from(sources).where(eq(sources.id, id)).get();
    return row ? { row, config: await decryptJson(encryptionKey, row.configEnc) } : null;
  });
}

/** All endpoints of a customer, whatever their status (paused and disabled ones hold deliveries). */
export function loadEndpointRecords(db: Db, encryptionKey: string, customerId: string, now = Date.now()): Promise<EndpointRecord[]> {
  return cached(endpointCache, customerId, now, async () => {
    const rows = await db.select().from(endpoints).where(eq(endpoints.customerId, customerId));
    return Promise.all(rows.map((row) => endpointRecord(row, encryptionKey, now)));
  });
}

export async function endpointRecord(row: EndpointRow, encryptionKey: string, now = Date.now()): Promise<EndpointRecord> {
  const secrets = [await decryptJson<string>(encryptionKey, row.secretEnc)];
  if (row.previousSecretEnc && row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now) {
    secrets.push(await decryptJson<string>(encryptionKey, row.previousSecretEnc));
  }
  const signingKeys: string[] = [];
  if (row.signatureSchemes.includes("v1a") && row.signingKeyEnc) {
    signingKeys.push(await decryptJson<string>(encryptionKey, row.signingKeyEnc));
    if (row.previousSigningKeyEnc && row.previousSigningKeyExpiresAt !== null && row.previousSigningKeyExpiresAt > now) {
      signingKeys.push(await decryptJson<string>(encryptionKey, row.previousSigningKeyEnc));
    }
  }
  return { row, secrets, signingKeys };
}

export function forgetSource(id: string): void {
  sourceCache.delete(id);
}

export function forgetEndpoints(customerId?: string): void {
  if (customerId) endpointCache.delete(customerId);
  else endpointCache.clear();
}
