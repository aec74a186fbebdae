/**
 * ProviderHttp over fetch: every URL checked against the outbound policy before it is called, a
 * timeout per call, JSON in and out, transient failures as retryable errors.
 */
import { checkOutboundUrl } from "../lib/urls";
import { RefetchError, type ProviderHttp } from "../providers/types";

export const PROVIDER_TIMEOUT_MS = 10_000;

export type ProviderHttpOptions = {
  /** Config `allowLocalUrls`: outside production, http://localhost and 127.0.0.1 may be called. */
  allowLocal: boolean;
  timeoutMs?: number;
};

export function providerHttp(options: ProviderHttpOptions): ProviderHttp {
  const { allowLocal, timeoutMs = PROVIDER_TIMEOUT_MS } = options;
  return {
    async request(url, init) {
      // Again at fetch time, whatever the stored config says: the URL as it will be called.
      const verdict = checkOutboundUrl(url, allowLocal);
      if (!verdict.ok) throw new RefetchError(`provider API URL refused: it ${verdict.reason}`, false);
      const headers: Record<string, string> = { accept: "application/json", "user-agent": "caserelay", ...init.headers };
      let body: string | undefined;
      if (init.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(init.json);
      } else if (init.form) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = new URLSearchParams(init.form).toString();
      }
      let res: Response;
      try {
        res = await fetch(url, { method: init.method ?? "GET", headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      } catch (err) {
        const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
        throw new RefetchError(timeout ? `provider API timed out after ${timeoutMs} ms` : "provider API unreachable", true);
      }
      if (res.status >= 500) {
        await res.body?.cancel();
        throw new RefetchError(`provider API answered ${res.status}`, true);
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        throw new RefetchError(`provider API answered a redirect (${res.status}); redirects are not followed`, false);
      }
      const text = await res.text();
      if (res.status >= 400) return { status: res.status, body: null };
      try {
        return { status: res.status, body: text ? JSON.parse(text) : null };
      } catch {
        throw new RefetchError("provider API answered with malformed JSON", true);
      }
    },
  };
}
