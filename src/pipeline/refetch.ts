/** Refetching a case through its adapter: bounded retries with backoff on transient failures. */
import { RefetchError, type LoadedSource, type RefetchOutcome, type TokenCache } from "../providers";
import { providerHttp } from "./provider-http";

/** Pauses between tries (ms); after the last one the receipt goes back to the queue. */
export const REFETCH_BACKOFF_MS = [250, 1000];

export type RefetchOptions = {
  /** Config `allowLocalUrls`: every provider URL is checked against the outbound policy when called. */
  allowLocalUrls: boolean;
  /** Pauses between tries; none for a caller that backs off itself (the reconcile cron). */
  backoffMs?: readonly number[];
};

export async function refetchWithRetries(source: LoadedSource, tokens: TokenCache, caseId: string, options: RefetchOptions): Promise<RefetchOutcome> {
  const ctx = { config: source.config, http: providerHttp({ allowLocal: options.allowLocalUrls }), tokens };
  for (let attempt = 0; ; attempt++) {
    try {
      return await source.adapter.refetch(ctx, caseId);
    } catch (err) {
      const wait = (options.backoffMs ?? REFETCH_BACKOFF_MS)[attempt];
      if (!(err instanceof RefetchError) || !err.retryable || wait === undefined) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
