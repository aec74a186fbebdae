/** Sources: the URLs in a stored config, and the source as ingest reads it. */
import type { Db } from "../db/client";
import { loadSourceRecord } from "../db/control-plane";
import { checkOutboundUrl } from "../lib/urls";
import { resolveSource, type LoadedSource } from "../providers";
import { caseIdPlacementProblem, isRecord } from "../providers/shared";
import type { ErrorDetail } from "../http/errors";

export type { SourceRow } from "../db/control-plane";

/** URLs in a provider config that the relay will call: they follow the outbound URL policy. */
export function checkConfigUrls(config: unknown, allowLocal: boolean, path = "config"): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (Array.isArray(config)) config.forEach((v, i) => problems.push(...checkConfigUrls(v, allowLocal, `${path}.${i}`)));
  else if (isRecord(config)) {
    for (const [k, v] of Object.entries(config)) {
      if ((k === "base_url" || k === "token_url" || k === "url") && typeof v === "string") {
        // A placeholder in the host would let a case id choose the address; the path and query cannot.
        const placement = v.includes("{case_id}") ? caseIdPlacementProblem(v) : null;
        const verdict = checkOutboundUrl(v.replaceAll("{case_id}", "case"), allowLocal);
        if (placement) problems.push({ path: `${path}.${k}`, message: `URL ${placement}` });
        else if (!verdict.ok) problems.push({ path: `${path}.${k}`, message: `URL ${verdict.reason}` });
      } else if (k !== "headers") problems.push(...checkConfigUrls(v, allowLocal, `${path}.${k}`));
    }
  }
  return problems;
}

/** A source ready for ingest: cached briefly in this isolate (src/db/control-plane.ts). */
export async function loadSource(db: Db, encryptionKey: string, id: string): Promise<LoadedSource | null> {
  const record = await loadSourceRecord(db, encryptionKey, id);
  return record ? resolveSource(record) : null;
}
