/** ProviderHttp over fetch: a timeout per call, JSON in and out, transient failures as retryable errors. */
import { RefetchError, type ProviderHttp } from "../providers/types";

export const PROVIDER_TIMEOUT_MS = 10_000;

export function providerHttp(timeoutMs = PROVIDER_TIMEOUT_MS): ProviderHttp {
  return {
    async request(url, init) {
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
