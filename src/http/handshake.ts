/**
 * Activation handshakes at the ingest URL (an echoed header, a GET challenge, a ping), answered by
 * the source's adapter before anything is verified, stored or queued: a handshake is never an event.
 */
import type { Context } from "hono";
import type { LoadedSource } from "../providers";
import { loadSource } from "../services/sources";
import type { HonoEnv } from "./context";
import { RelayError } from "../lib/errors";

const lenientUtf8 = new TextDecoder();

/** The adapter's answer to a handshake, or null when the request is an ordinary webhook. */
export async function answerHandshake(c: Context<HonoEnv>, source: LoadedSource, method: "GET" | "POST"): Promise<Response | null> {
  const adapter = source.adapter;
  if (!adapter.handshake) return null;
  // Hono keeps the body, so ingest reads the same bytes again if this is not a handshake.
  const rawBody = method === "POST" ? lenientUtf8.decode(await c.req.arrayBuffer()) : "";
  const answer = await adapter.handshake(
    { method, headers: c.req.raw.headers, query: new URL(c.req.url).searchParams, rawBody, now: Math.floor(Date.now() / 1000) },
    source.config,
  );
  if (!answer) return null;
  if (answer.status === 401) throw new RelayError("unauthorized", `Handshake refused: ${answer.reason}.`);
  // What is echoed came from the caller: never let it be sniffed as anything but what it says, nor cached.
  return c.body(answer.body ?? "", answer.status, { "cache-control": "no-store", "x-content-type-options": "nosniff", ...answer.headers });
}

/** GET /in/{source_id}: only a provider's challenge is answered; webhooks arrive by POST. */
export async function answerChallenge(c: Context<HonoEnv>, sourceIdPattern: RegExp) {
  const sourceId = c.req.param("source_id") ?? "";
  const source = sourceIdPattern.test(sourceId) ? await loadSource(c.var.db, c.var.config.encryptionKey, sourceId) : null;
  if (!source) throw new RelayError("not_found", "Unknown source: check the ingest URL.");
  const answered = await answerHandshake(c, source, "GET");
  if (answered) return answered;
  throw new RelayError("not_found", "This source answers no GET challenge: webhooks are delivered with POST.");
}
