/**
 * What a case object needs from the control plane: its source (adapter and config) and its
 * customer's endpoints. The INBOX consumer reads them once per batch and hands them over, so a
 * webhook costs objects no D1 read; alarms and other entry points read them here (cached briefly).
 */
import { createDb } from "../db/client";
import { forgetEndpoints, loadEndpointRecords, loadSourceRecord, type EndpointRecord, type SourceRecord } from "../db/control-plane";
import { getConfig } from "../lib/config";
import { resolveSource, type LoadedSource } from "../providers";

/** As it crosses the RPC boundary: plain data. */
export type ContextInput = { source: SourceRecord | null; endpoints: EndpointRecord[] };

export type CaseContext = {
  /** Null once the source was deleted: its receipts fail, its case is left alone. */
  source: LoadedSource | null;
  endpoints: EndpointRecord[];
};

/** `freshEndpoints`: read the customer's endpoints from D1 now (an operator just changed one). */
export async function loadContext(env: Env, sourceId: string, opts: { freshEndpoints?: boolean } = {}): Promise<ContextInput> {
  const config = getConfig(env);
  const db = createDb(env.DB);
  const source = await loadSourceRecord(db, config.encryptionKey, sourceId);
  if (source && opts.freshEndpoints) forgetEndpoints(source.row.customerId);
  const endpoints = source ? await loadEndpointRecords(db, config.encryptionKey, source.row.customerId) : [];
  return { source, endpoints };
}

export function resolveContext(input: ContextInput): CaseContext {
  return { source: input.source ? resolveSource(input.source) : null, endpoints: input.endpoints };
}
