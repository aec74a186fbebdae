/**
 * Webhook authentication schemes shared by adapters. Every comparison is constant-time and
 * every failure reason names what was wrong, never a configured secret.
 */
import { z } from "zod";
import { base64ToBytes, bytesToBase64, bytesToHex, hmac, matchesAny, standardWebhooksKey, timingSafeEqualStrings } from "../lib/crypto";
import { onWrite } from "./config-rules";
import { credential } from "./config-shape";
import type { InboundRequest, VerifyResult } from "./types";

/** Signatures older or newer than this are refused (replay protection). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** One secret, or two while rotating. */
export const SecretSchema = credential(
  z.union([z.string().min(1).max(512), z.array(z.string().min(1).max(512)).min(1).max(2)]).transform((v) => (typeof v === "string" ? [v] : v)),
);

/** Standard Webhooks: secret keys are 24 to 64 bytes (the key itself, after base64-decoding). */
export const MIN_STANDARD_WEBHOOKS_KEY_BYTES = 24;
/** HMAC secrets and static tokens chosen by people: at least this many characters. */
export const MIN_SHARED_SECRET_CHARS = 16;

/** A Standard Webhooks secret (or two) whose key is long enough to sign with. */
export const StandardWebhooksSecretSchema = SecretSchema.refine(
  onWrite((secrets: string[]) => secrets.every((s) => standardWebhooksKey(s).length >= MIN_STANDARD_WEBHOOKS_KEY_BYTES)),
  `must be a Standard Webhooks secret of at least ${MIN_STANDARD_WEBHOOKS_KEY_BYTES} bytes ("whsec_" + base64 of the key)`,
);

/** An HMAC secret or a static token (or two, while rotating) that is not trivially guessed. */
export const SharedSecretSchema = SecretSchema.refine(
  onWrite((secrets: string[]) => secrets.every((s) => s.length >= MIN_SHARED_SECRET_CHARS)),
  `must be at least ${MIN_SHARED_SECRET_CHARS} characters`,
);

/** Static webhook tokens compared with a header: each at least MIN_SHARED_SECRET_CHARS long. */
export const StaticTokenSchema = credential(
  z
    .string()
    .min(1)
    .max(512)
    .refine(
      onWrite((t: string) => t.length >= MIN_SHARED_SECRET_CHARS),
      `must be at least ${MIN_SHARED_SECRET_CHARS} characters`,
    ),
);

/** An HTTP header name (RFC 9110 token): anything else would make every request to the source fail. */
export const HeaderNameSchema = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "must be an HTTP header name");

export const StandardWebhooksVerify = z.object({
  scheme: z.literal("standard_webhooks"),
  secret: StandardWebhooksSecretSchema,
});

export const HmacVerify = z.object({
  scheme: z.literal("hmac"),
  header: HeaderNameSchema,
  algorithm: z.enum(["sha256", "sha512"]).default("sha256"),
  encoding: z.enum(["hex", "base64"]).default("hex"),
  /** Text before the signature in the header, e.g. "sha256=". */
  prefix: z.string().max(50).optional(),
  secret: SharedSecretSchema,
  /** Header carrying the signing time (seconds or ms since the epoch); checked against a 5-minute tolerance. */
  timestamp_header: HeaderNameSchema.optional(),
  /** What is signed; {body} and {timestamp} are replaced. Default "{body}", or "{timestamp}.{body}" with a timestamp header. */
  payload_template: z
    .string()
    .max(100)
    .refine(
      onWrite((t: string) => t.includes("{body}")),
      "must contain {body}: a signature that does not cover the body authenticates nothing",
    )
    .optional(),
});

export const TokenVerify = z.object({
  scheme: z.literal("token"),
  header: HeaderNameSchema,
  tokens: z.array(StaticTokenSchema).min(1).max(10),
});

export const BasicVerify = z.object({
  scheme: z.literal("basic"),
  username: z.string().min(1).max(200),
  password: SecretSchema,
});

export const VerifySchema = z.discriminatedUnion("scheme", [StandardWebhooksVerify, HmacVerify, TokenVerify, BasicVerify]);
export type VerifyConfig = z.output<typeof VerifySchema>;

const fail = (reason: string): VerifyResult => ({ ok: false, reason });
const OK: VerifyResult = { ok: true };

function parseTimestamp(raw: string): number | null {
  if (!/^\d{1,16}$/.test(raw.trim())) return null;
  const n = Number(raw);
  return n > 1e12 ? Math.floor(n / 1000) : n;
}

export function checkTimestamp(raw: string | null, header: string, now: number): VerifyResult {
  if (raw === null) return fail(`missing ${header} header`);
  const ts = parseTimestamp(raw);
  if (ts === null) return fail(`${header} is not a unix timestamp`);
  if (Math.abs(now - ts) > TIMESTAMP_TOLERANCE_SECONDS) return fail(`${header} is outside the 5-minute tolerance`);
  return OK;
}

export async function verifyStandardWebhooks(req: InboundRequest, secrets: readonly string[]): Promise<VerifyResult> {
  const id = req.headers.get("webhook-id");
  const timestamp = req.headers.get("webhook-timestamp");
  const signature = req.headers.get("webhook-signature");
  if (!id) return fail("missing webhook-id header");
  if (!signature) return fail("missing webhook-signature header");
  const ts = checkTimestamp(timestamp, "webhook-timestamp", req.now);
  if (!ts.ok) return ts;
  const given = signature
    .split(" ")
    .map((s) => s.split(","))
    .filter(([v, sig]) => v === "v1" && sig)
    .map(([, sig]) => sig as string);
  if (given.length === 0) return fail("webhook-signature has no v1 signature");
  const content = `${id}.${timestamp}.${req.rawBody}`;
  const expected = await Promise.all(secrets.map(async (s) => bytesToBase64(await hmac("sha256", standardWebhooksKey(s), content))));
  const matches = await Promise.all(given.flatMap((g) => expected.map((e) => timingSafeEqualStrings(g, e))));
  return matches.includes(true) ? OK : fail("webhook-signature does not match the payload");
}

async function verifyHmac(req: InboundRequest, v: z.output<typeof HmacVerify>): Promise<VerifyResult> {
  const raw = req.headers.get(v.header);
  if (!raw) return fail(`missing ${v.header} header`);
  let timestamp = "";
  if (v.timestamp_header) {
    const tsHeader = req.headers.get(v.timestamp_header);
    const ts = checkTimestamp(tsHeader, v.timestamp_header, req.now);
    if (!ts.ok) return ts;
    timestamp = tsHeader ?? "";
  }
  if (v.prefix && !raw.startsWith(v.prefix)) return fail(`${v.header} does not start with the expected prefix`);
  const given = raw.slice(v.prefix?.length ?? 0);
  const template = v.payload_template ?? (v.timestamp_header ? "{timestamp}.{body}" : "{body}");
  // One pass, so a body that happens to contain "{timestamp}" is signed as sent.
  const content = template.replace(/\{(body|timestamp)\}/g, (_, k: string) => (k === "body" ? req.rawBody : timestamp));
  const encoder = new TextEncoder();
  const expected = await Promise.all(
    v.secret.map(async (s) => {
      const mac = await hmac(v.algorithm, encoder.encode(s), content);
      return v.encoding === "hex" ? bytesToHex(mac) : bytesToBase64(mac);
    }),
  );
  const normalized = v.encoding === "hex" ? given.trim().toLowerCase() : given.trim();
  return (await matchesAny(normalized, expected)) ? OK : fail(`${v.header} does not match the payload`);
}

async function verifyToken(req: InboundRequest, header: string, tokens: readonly string[]): Promise<VerifyResult> {
  const given = req.headers.get(header);
  if (!given) return fail(`missing ${header} header`);
  return (await matchesAny(given, tokens)) ? OK : fail(`${header} is not a valid token for this source`);
}

/** Username and password from `Authorization: Basic`, or null. */
export function basicCredentials(headers: Headers): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(headers.get("authorization") ?? "");
  if (!m?.[1]) return null;
  let decoded: string;
  try {
    // RFC 7617: credentials are UTF-8 before base64.
    decoded = new TextDecoder().decode(base64ToBytes(m[1]));
  } catch {
    return null;
  }
  const i = decoded.indexOf(":");
  return i < 0 ? null : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export async function credentialsMatch(given: { username: string; password: string }, username: string, passwords: readonly string[]): Promise<boolean> {
  const [user, pass] = await Promise.all([timingSafeEqualStrings(given.username, username), matchesAny(given.password, passwords)]);
  return user && pass;
}

async function verifyBasic(req: InboundRequest, v: z.output<typeof BasicVerify>): Promise<VerifyResult> {
  const given = basicCredentials(req.headers);
  if (!given) return fail("missing or malformed Authorization: Basic header");
  return (await credentialsMatch(given, v.username, v.password)) ? OK : fail("invalid username or password");
}

export function verifyWith(req: InboundRequest, v: VerifyConfig): Promise<VerifyResult> {
  switch (v.scheme) {
    case "standard_webhooks":
      return verifyStandardWebhooks(req, v.secret);
    case "hmac":
      return verifyHmac(req, v);
    case "token":
      return verifyToken(req, v.header, v.tokens);
    case "basic":
      return verifyBasic(req, v);
  }
}

export { verifyToken };
