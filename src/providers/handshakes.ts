/**
 * Activation handshakes some providers make before they send events: echo a header they sent, or
 * answer a GET challenge. Answering one stores and queues nothing, and what is echoed is only
 * what the caller sent, limited to characters that cannot change the meaning of the response.
 */
import { z } from "zod";
import { matchesAny } from "../lib/crypto";
import { credential } from "./config-shape";
import { HeaderNameSchema } from "./schemes";
import type { HandshakeRequest, HandshakeResponse } from "./types";

/** Visible ASCII without spaces: what handshake secrets and challenges are made of. */
const ECHOABLE = /^[\x21-\x7e]{1,512}$/;
/** A challenge goes back in the body, so it is held to URL-safe characters (no markup). */
const CHALLENGE = /^[A-Za-z0-9._~+/=:-]{1,512}$/;
const QueryParam = z.string().regex(/^[A-Za-z0-9._-]{1,50}$/, "must be a query parameter name");

/** A POST carrying `header` is the handshake: it is answered 200 with the header's value echoed. */
export function echoHeader(req: HandshakeRequest, header: string): HandshakeResponse | null {
  if (req.method !== "POST") return null;
  const value = req.headers.get(header);
  return value && ECHOABLE.test(value) ? { status: 200, headers: { [header]: value } } : null;
}

export const GetChallengeSchema = z.strictObject({
  /** The query parameter whose value is answered, e.g. "challenge" or "hub.challenge". */
  param: QueryParam,
  /** A token the provider sends with the challenge, e.g. "hub.verify_token"; the challenge is refused unless it matches. */
  verify_token: z
    .strictObject({
      param: QueryParam,
      tokens: z
        .array(credential(z.string().min(1).max(512)))
        .min(1)
        .max(10),
    })
    .optional(),
  /** The challenge as the whole body (text/plain), or as `{ "<param>": "<challenge>" }`. */
  respond: z.enum(["text", "json"]).default("text"),
});
export type GetChallenge = z.output<typeof GetChallengeSchema>;

/** A GET carrying `spec.param` is answered with its value. */
export async function answerGetChallenge(req: HandshakeRequest, spec: GetChallenge): Promise<HandshakeResponse | null> {
  if (req.method !== "GET") return null;
  const challenge = req.query.get(spec.param);
  if (challenge === null || !CHALLENGE.test(challenge)) return null;
  if (spec.verify_token) {
    const given = req.query.get(spec.verify_token.param);
    if (!given) return { status: 401, reason: `missing ${spec.verify_token.param} query parameter` };
    if (!(await matchesAny(given, spec.verify_token.tokens))) return { status: 401, reason: `${spec.verify_token.param} is not a valid token for this source` };
  }
  return spec.respond === "json"
    ? { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ [spec.param]: challenge }) }
    : { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: challenge };
}

/** `handshake` of the standard adapter: which handshakes the provider makes. */
export const HandshakeSchema = z
  .strictObject({
    /** A POST with this header (e.g. X-Hook-Secret) is answered with it echoed. */
    echo_header: HeaderNameSchema.optional(),
    get_challenge: GetChallengeSchema.optional(),
  })
  .refine((h) => h.echo_header !== undefined || h.get_challenge !== undefined, { message: "set echo_header, get_challenge or both" });
export type HandshakeConfig = z.output<typeof HandshakeSchema>;

export async function answerHandshake(req: HandshakeRequest, config: HandshakeConfig): Promise<HandshakeResponse | null> {
  return (config.echo_header ? echoHeader(req, config.echo_header) : null) ?? (config.get_challenge ? answerGetChallenge(req, config.get_challenge) : null);
}
