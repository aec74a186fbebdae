/** One signed HTTP attempt to a customer endpoint (Standard Webhooks), classified for the retry policy. */
import type { Attempt, AttemptErrorKind, Envelope } from "../domain";
import { newId } from "../lib/ids";
import type { EndpointRecord } from "../db/control-plane";
import { withoutExpiredLinks } from "./links";
import { parseRetryAfter } from "./schedule";
import { signatureHeader } from "./signing";

export const SEND_TIMEOUT_MS = 15_000;
export const RESPONSE_EXCERPT_BYTES = 4096;
export const USER_AGENT = "caserelay/1.0 (+webhooks; Standard Webhooks)";

export type SendResult = {
  attempt: Attempt;
  /** succeeded: 2xx. gone: 410, disable the endpoint. retry: anything else. */
  outcome: "succeeded" | "retry" | "gone";
  retryAfterSeconds: number | null;
};

function errorKind(err: unknown): AttemptErrorKind {
  const name = err instanceof Error ? err.name : "";
  const message = err instanceof Error ? err.message : String(err);
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  if (/tls|ssl|certificate|handshake/i.test(message)) return "tls";
  return "connect";
}

async function excerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => {});
  const all = new Uint8Array(Math.min(size, RESPONSE_EXCERPT_BYTES));
  let offset = 0;
  for (const c of chunks) {
    const take = c.subarray(0, all.length - offset);
    all.set(take, offset);
    offset += take.length;
    if (offset >= all.length) break;
  }
  return new TextDecoder().decode(all);
}

export async function sendOnce(endpoint: EndpointRecord, envelope: Envelope, now = Date.now()): Promise<SendResult> {
  const body = JSON.stringify(withoutExpiredLinks(envelope, now));
  const timestamp = Math.floor(now / 1000);
  const id = envelope.data.event_id;
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(
      { schemes: endpoint.row.signatureSchemes, secrets: endpoint.secrets, signingKeys: endpoint.signingKeys },
      id,
      timestamp,
      body,
    ),
  };
  const started = Date.now();
  const base = { id: newId("att", now), at: new Date(now).toISOString() };
  try {
    const res = await fetch(endpoint.row.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
    const responseExcerpt = await excerpt(res).catch(() => "");
    const s = res.status;
    const ok = s >= 200 && s < 300;
    return {
      attempt: {
        ...base,
        status_code: s,
        duration_ms: Date.now() - started,
        response_excerpt: responseExcerpt || null,
        error_kind: ok ? null : "http",
        // A 4xx other than these is retried too, but it usually means the receiver rejects the event.
        flagged: s >= 400 && s < 500 && ![408, 409, 410, 425, 429].includes(s),
      },
      outcome: ok ? "succeeded" : s === 410 ? "gone" : "retry",
      // The answers that ask to slow down or come back later (Standard Webhooks: 429, 502, 504; and 503).
      retryAfterSeconds: [429, 502, 503, 504].includes(s) ? parseRetryAfter(res.headers.get("retry-after"), now) : null,
    };
  } catch (err) {
    return {
      attempt: { ...base, status_code: null, duration_ms: Date.now() - started, response_excerpt: null, error_kind: errorKind(err), flagged: false },
      outcome: "retry",
      retryAfterSeconds: null,
    };
  }
}
