/**
 * HMAC signature headers in the shapes vendors use beyond a bare digest: a scheme word before the
 * signature ("sha256 <hex>"), key=value lists carrying a timestamp and several signatures
 * ("t=<unix>,v1=<sig> t=<unix>,v1=<sig>" or "v1=<a>;v1=<b>"), and signed content built from the
 * body, the timestamp and other headers. Every comparison runs in constant time; reasons name what
 * was wrong, never a secret.
 */
import { z } from "zod";
import { bytesToBase64, bytesToHex, hmac, timingSafeEqualStrings } from "../lib/crypto";
import { checkTimestamp, HeaderNameSchema, SecretSchema } from "./schemes";
import type { InboundRequest, VerifyResult } from "./types";

const PairKey = z.string().regex(/^[A-Za-z0-9_-]{1,20}$/, "must be a short key such as v1 or t");

/** One piece of the signed content: the raw body, the signing timestamp, or another header ("" when absent). */
const SignedPart = z.union([
  z.literal("body"),
  z.literal("timestamp"),
  z.string().regex(/^header:[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be "body", "timestamp" or "header:<name>"'),
]);

const SPEC = {
  header: HeaderNameSchema,
  /** plain: the header is the signature; scheme_word: "<algorithm> <signature>"; pairs: key=value items separated by ",", ";" or spaces. */
  format: z.enum(["plain", "scheme_word", "pairs"]).default("plain"),
  algorithm: z.enum(["sha256", "sha512"]).default("sha256"),
  encoding: z.enum(["hex", "base64"]).default("hex"),
  /** plain: text before the signature, e.g. "sha256=". */
  prefix: z.string().max(50).optional(),
  /** pairs: the key of each signature; several may be present (a rotation, or one per active key). */
  signature_key: PairKey.default("v1"),
  /** pairs: the key of the signing timestamp inside the header ("t"); it applies to the signatures after it. */
  timestamp_key: PairKey.optional(),
  /** The header carrying the signing timestamp when it is not inside the signature header. */
  timestamp_header: HeaderNameSchema.optional(),
  /** What is signed, joined by `separator`. */
  signed: z.array(SignedPart).min(1).max(10).default(["body"]),
  separator: z.string().max(5).default("."),
};

type SpecFields = { format: string; signed: string[]; timestamp_key?: string | undefined; timestamp_header?: string | undefined };
const timestampKnown = (s: SpecFields) => !s.signed.includes("timestamp") || s.timestamp_key !== undefined || s.timestamp_header !== undefined;
const timestampKeyInPairs = (s: SpecFields) => s.timestamp_key === undefined || s.format === "pairs";
const TIMESTAMP_SOURCE = { message: 'a signed "timestamp" needs timestamp_key or timestamp_header', path: ["signed"] };
const KEY_NEEDS_PAIRS = { message: 'timestamp_key needs format "pairs"', path: ["timestamp_key"] };

/** How a vendor signs, without the secret: adapters keep their vendor's shape as a constant. */
export const SignatureSpecSchema = z.strictObject(SPEC).refine(timestampKnown, TIMESTAMP_SOURCE).refine(timestampKeyInPairs, KEY_NEEDS_PAIRS);
export type SignatureSpec = z.output<typeof SignatureSpecSchema>;
export const signatureSpec = (spec: z.input<typeof SignatureSpecSchema>): SignatureSpec => SignatureSpecSchema.parse(spec);

/** The `standard` adapter's configurable form of the same: `{ scheme: "signature", ...spec, secret }`. */
export const SignatureVerify = z
  .strictObject({ scheme: z.literal("signature"), ...SPEC, secret: SecretSchema })
  .refine(timestampKnown, TIMESTAMP_SOURCE)
  .refine(timestampKeyInPairs, KEY_NEEDS_PAIRS);
export type SignatureVerifyConfig = z.output<typeof SignatureVerify>;

/** More than any vendor sends (SmartRecruiters: up to 16 keys), so a hostile header cannot make us compute thousands. */
const MAX_SIGNATURES = 32;

type Candidate = { timestamp: string | null; signature: string };
const fail = (reason: string): VerifyResult => ({ ok: false, reason });

function candidates(raw: string, spec: SignatureSpec): Candidate[] | string {
  if (spec.format === "plain") {
    if (spec.prefix && !raw.startsWith(spec.prefix)) return `${spec.header} does not start with the expected prefix`;
    return [{ timestamp: null, signature: raw.slice(spec.prefix?.length ?? 0).trim() }];
  }
  if (spec.format === "scheme_word") {
    const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(raw);
    if (!m || m[1]!.toLowerCase() !== spec.algorithm) return `${spec.header} is not "${spec.algorithm} <signature>"`;
    return [{ timestamp: null, signature: m[2]! }];
  }
  const found: Candidate[] = [];
  let timestamp: string | null = null;
  for (const item of raw.split(/[,;\s]+/)) {
    const i = item.indexOf("=");
    if (i <= 0) continue;
    const key = item.slice(0, i);
    const value = item.slice(i + 1);
    if (key === spec.timestamp_key) timestamp = value;
    else if (key === spec.signature_key && value && found.length < MAX_SIGNATURES) found.push({ timestamp, signature: value });
  }
  return found.length ? found : `${spec.header} has no ${spec.signature_key} signature`;
}

/** The signatures whose timestamp is within tolerance, or why none is. */
function fresh(list: Candidate[], req: InboundRequest, spec: SignatureSpec): Candidate[] | string {
  if (spec.timestamp_key === undefined && spec.timestamp_header === undefined) return list;
  const fromHeader = spec.timestamp_header ? req.headers.get(spec.timestamp_header) : null;
  let reason = "";
  const ok: Candidate[] = [];
  for (const c of list) {
    const timestamp = c.timestamp ?? fromHeader;
    const label = c.timestamp !== null || !spec.timestamp_header ? `the ${spec.header} ${spec.timestamp_key}= timestamp` : spec.timestamp_header;
    if (timestamp === null) {
      reason ||= spec.timestamp_header ? `missing ${spec.timestamp_header} header` : `${spec.header} has no ${spec.timestamp_key}= timestamp`;
      continue;
    }
    const verdict = checkTimestamp(timestamp, label, req.now);
    if (verdict.ok) ok.push({ timestamp, signature: c.signature });
    else reason ||= verdict.reason;
  }
  return ok.length ? ok : reason;
}

function content(req: InboundRequest, spec: SignatureSpec, timestamp: string | null): string {
  return spec.signed
    .map((part) => (part === "body" ? req.rawBody : part === "timestamp" ? (timestamp ?? "") : (req.headers.get(part.slice("header:".length)) ?? "")))
    .join(spec.separator);
}

/** Verifies `req` against `spec` with any of `secrets` (each used as UTF-8 key bytes). */
export async function verifySignature(req: InboundRequest, spec: SignatureSpec, secrets: readonly string[]): Promise<VerifyResult> {
  const raw = req.headers.get(spec.header);
  if (!raw) return fail(`missing ${spec.header} header`);
  const parsed = candidates(raw, spec);
  if (typeof parsed === "string") return fail(parsed);
  const usable = fresh(parsed, req, spec);
  if (typeof usable === "string") return fail(usable);
  const encoder = new TextEncoder();
  const expectedByTimestamp = new Map<string | null, Promise<string[]>>();
  const expected = (timestamp: string | null) => {
    let e = expectedByTimestamp.get(timestamp);
    if (!e) {
      const data = content(req, spec, timestamp);
      e = Promise.all(
        secrets.map(async (s) => {
          const mac = await hmac(spec.algorithm, encoder.encode(s), data);
          return spec.encoding === "hex" ? bytesToHex(mac) : bytesToBase64(mac);
        }),
      );
      expectedByTimestamp.set(timestamp, e);
    }
    return e;
  };
  const results = await Promise.all(
    usable.map(async (c) => {
      const given = spec.encoding === "hex" ? c.signature.trim().toLowerCase() : c.signature.trim();
      const matches = await Promise.all((await expected(c.timestamp)).map((e) => timingSafeEqualStrings(given, e)));
      return matches.includes(true);
    }),
  );
  return results.includes(true) ? { ok: true } : fail(`${spec.header} does not match the payload`);
}
