/**
 * Provider bearer tokens, cached per source: in this isolate's memory first, then encrypted in the
 * source row so other isolates and restarts reuse them (KarmaCheck's JWT never expires).
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { sources } from "../db/schema";
import { decryptJson, encryptJson } from "../lib/crypto";
import type { TokenCache } from "../providers";

type Entry = { token: string; expiresAt: number | null };
type Stored = Record<string, Entry>;

const memory = new Map<string, Map<string, Entry>>();
/** In-flight loads, so concurrent cases of one source share one D1 read. */
const loading = new Map<string, Promise<Map<string, Entry>>>();
/** In-flight token requests to providers, shared the same way. */
const fetching = new Map<string, Promise<string>>();

function live(e: Entry | undefined, now: number): e is Entry {
  return e !== undefined && (e.expiresAt === null || e.expiresAt > now);
}

export function tokenCache(db: Db, encryptionKey: string, sourceId: string): TokenCache {
  const entries = (): Promise<Map<string, Entry>> => {
    const hit = memory.get(sourceId);
    if (hit) return Promise.resolve(hit);
    const inFlight = loading.get(sourceId);
    if (inFlight) return inFlight;
    const pending = (async () => {
      const row = await db.select({ enc: sources.tokenCacheEnc }).from(sources).where(eq(sources.id, sourceId)).get();
      const stored: Stored = row?.enc ? await decryptJson<Stored>(encryptionKey, row.enc).catch(() => ({})) : {};
      const map = new Map<string, Entry>(Object.entries(stored));
      memory.set(sourceId, map);
      return map;
    })().finally(() => loading.delete(sourceId));
    loading.set(sourceId, pending);
    return pending;
  };
  const save = async (map: Map<string, Entry>) => {
    const enc = map.size ? await encryptJson(encryptionKey, Object.fromEntries(map)) : null;
    await db.update(sources).set({ tokenCacheEnc: enc }).where(eq(sources.id, sourceId));
  };
  return {
    async obtain(key, fetch) {
      const map = await entries();
      const hit = map.get(key);
      if (live(hit, Date.now())) return hit.token;
      // One provider call per source and key, however many cases ask at once.
      const flightKey = `${sourceId}|${key}`;
      let flight = fetching.get(flightKey);
      if (!flight) {
        flight = (async () => {
          const fresh = await fetch();
          map.set(key, fresh);
          await save(map);
          return fresh.token;
        })().finally(() => fetching.delete(flightKey));
        fetching.set(flightKey, flight);
      }
      return flight;
    },
    async invalidate(key, token) {
      const map = await entries();
      if (map.get(key)?.token !== token) return;
      map.delete(key);
      await save(map);
    },
  };
}

/** Forget this isolate's copy (tests, and a source whose API credentials changed). */
export function forgetTokens(sourceId?: string): void {
  if (sourceId) memory.delete(sourceId);
  else memory.clear();
}
