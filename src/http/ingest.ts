/**
 * POST /in/{source_id}: the provider-facing edge. It does only what the ack needs — look up the
 * source (cached), size, JSON, verify, parse, strip credentials, one queue send — and answers 2xx
 * only once the receipt is durable (src/services/receipts.ts). Nothing is enqueued or stored
 * before verification.
 */
import type { Context } from "hono";
import { sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { errorSummary, log } from "../lib/log";
import type { ReceiptMessage } from "../pipeline/messages";
import { redactCredentials } from "../pipeline/redact";
import { enqueueReceipt } from "../services/receipts";
import { loadSource } from "../services/sources";
import type { App, HonoEnv } from "./context";
import { RelayError } from "../lib/errors";
import { limitBody } from "./body-limit";
import { answerChallenge, answerHandshake } from "./handshake";

export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const SOURCE_ID = /^src_[0-9A-Z]{26}$/;
const FORM_TYPES = /^(multipart\/form-data|application\/x-www-form-urlencoded)/i;

/**
 * Bodies nested deeper are refused: the pipeline keeps 64 levels (src/pipeline/redact.ts) and
 * recursive code (dedupe hashes, fingerprints) must not overflow the stack on a hostile body.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests arrays and objects deeper than `max`: one scan, no recursion. */
export function jsonNestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

async function ingest(c: Context<HonoEnv>) {
  const sourceId = c.req.param("source_id") ?? "";
  if (!SOURCE_ID.test(sourceId)) throw new RelayError("not_found", "Unknown source: check the ingest URL.");
  const source = await loadSource(c.var.db, c.var.config.encryptionKey, sourceId);
  if (!source) throw new RelayError("not_found", "Unknown source: check the ingest URL.");
  const handshake = await answerHandshake(c, source, "POST");
  if (handshake) return handshake;

  if (FORM_TYPES.test(c.req.header("content-type") ?? "")) {
    throw new RelayError("unsupported_media_type", "Webhooks must be sent as a JSON body.");
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) throw new RelayError("invalid_json", "The request body is empty; expected a JSON webhook.");
  let rawBody: string;
  let json: unknown;
  try {
    rawBody = utf8.decode(bytes);
    json = JSON.parse(rawBody);
  } catch {
    throw new RelayError("invalid_json", "The request body is not valid UTF-8 JSON.");
  }
  if (jsonNestingExceeds(rawBody, MAX_JSON_DEPTH)) {
    throw new RelayError("invalid_payload", `The webhook nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
  }

  const receivedAt = Date.now();
  const req = { headers: c.req.raw.headers, rawBody, json, now: Math.floor(receivedAt / 1000) };
  const verdict = await source.adapter.verify(req, source.config);
  if (!verdict.ok) throw new RelayError("unauthorized", `Webhook authentication failed: ${verdict.reason}.`);

  const parsed = source.adapter.parse(req, source.config);
  if (!parsed.ok) {
    throw new RelayError(
      "invalid_payload",
      `The webhook is missing what ${source.row.provider} events carry: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      parsed.issues,
    );
  }
  const e = parsed.event;
  // Case ids go into URL paths (refetch, /v1/cases, the console), where "." and ".." would climb out.
  if (/^\.*$/.test(e.caseId)) {
    const message = "the case id is empty or only dots, which cannot stand in a URL path";
    throw new RelayError("invalid_payload", `The webhook's case id ${JSON.stringify(e.caseId)} is refused: ${message}.`, [{ path: "case_id", message }]);
  }
  const id = newId("rcv", receivedAt);
  const body = JSON.stringify(redactCredentials(e.body));
  const message: ReceiptMessage = {
    kind: "receipt",
    id,
    source_id: source.row.id,
    customer_id: source.row.customerId,
    case_id: e.caseId,
    dedupe_key: e.dedupeKey,
    subject: e.subject,
    provider_event_id: e.providerEventId,
    event_type: e.eventType,
    version: e.version,
    received_at: receivedAt,
    // Of the body as stored (credentials stripped): a hash of the raw bytes would let anyone who
    // sees it confirm a guess of the credentials some providers put in the body.
    body_sha256: await sha256Hex(body),
    body,
  };
  try {
    await enqueueReceipt(c.env, message);
  } catch (err) {
    log("error", "inbox send failed", { request_id: c.var.requestId, source_id: sourceId, error: errorSummary(err) });
    throw new RelayError("unavailable", "The webhook could not be queued; please retry.");
  }
  return c.json({ received: true, id }, source.adapter.ackStatus ?? 200);
}

export function registerIngest(app: App) {
  app.post("/in/:source_id", limitBody(MAX_WEBHOOK_BYTES, "Webhook bodies"), ingest);
  app.get("/in/:source_id", (c) => answerChallenge(c, SOURCE_ID));
}
