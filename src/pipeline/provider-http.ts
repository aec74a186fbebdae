/**
 * ProviderHttp over fetch: every URL checked against the outbound policy before it is called, a
 * timeout per call, bodies capped, JSON in and out, transient failures as retryable errors.
 */
import { checkOutboundUrl } from "../lib/urls";
import { RefetchError, type ProviderHttp } from "../providers";

export const PROVIDER_TIMEOUT_MS = 10_000;
/** A case's state is kilobytes; anything past this is refused rather than held in memory. */
export const MAX_PROVIDER_RESPONSE_BYTES = 1024 * 1024;

export type ProviderHttpOptions = {
  /** Config `allowLocalUrls`: outside production, http://localhost and 127.0.0.1 may be called. */
  allowLocal: boolean;
  timeoutMs?: number;
  maxBytes?: number;
};

const sizeLabel = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`);

/** The body as text, read chunk by chunk and abandoned as soon as it passes `max` bytes. */
async function readCapped(res: Response, max: number): Promise<string> {
  const tooLarge = () => new RefetchError(`provider API answered more than ${sizeLabel(max)}`, false);
  if (Number(res.headers.get("content-length") ?? 0) > max) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

const isTimeout = (err: unknown) => err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");

export function providerHttp(options: ProviderHttpOptions): ProviderHttp {
  const { allowLocal, timeoutMs = PROVIDER_TIMEOUT_MS, maxBytes = MAX_PROVIDER_RESPONSE_BYTES } = options;
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
        throw new RefetchError(isTimeout(err) ? `provider API timed out after ${timeoutMs} ms` : "provider API unreachable", true);
      }
      // 5xx, 408 (timeout) and 429 (slow down) pass; any other 4xx is the provider's final word.
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        await res.body?.cancel();
        throw new RefetchError(`provider API answered ${res.status}`, true);
      }
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        throw new RefetchError(`provider API answered a redirect (${res.status}); redirects are not followed`, false);
      }
      if (res.status >= 400) {
        await res.body?.cancel();
        return { status: res.status, body: null };
      }
      let text: string;
      try {
        text = await readCapped(res, maxBytes);
      } catch (err) {
        if (err instanceof RefetchError) throw err;
        throw new RefetchError(isTimeout(err) ? `provider API timed out after ${timeoutMs} ms` : "provider API connection lost while answering", true);
      }
      try {
        return { status: res.status, body: text ? JSON.parse(text) : null };
      } catch {
        throw new RefetchError("provider API answered with malformed JSON", true);
      }
    },
  };
}
