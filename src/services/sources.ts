/** Sources as ingest reads them. */
import type { Db } from "../db/client";
import { loadSourceRecord } from "../db/control-plane";
import { resolveSource, type LoadedSource } from "../providers";

/** A source ready for ingest: cached briefly in this isolate (src/db/control-plane.ts). */
export async function loadSource(db: Db, encryptionKey: string, id: string): Promise<LoadedSource | null> {
  const record = await loadSourceRecord(db, encryptionKey, id);
  return record ? resolveSource(record) : null;
}
