/**
 * The signature shapes beyond a bare digest (src/providers/signatures.ts) and the standard
 * adapter's configurable use of them and of activation handshakes (src/providers/handshakes.ts).
 */
import { describe, expect, it } from "vitest";
import { answerGetChallenge, echoHeader, GetChallengeSchema } from "../../src/providers/handshakes";
import { TIMESTAMP_TOLERANCE_SECONDS } from "../../src/providers/schemes";
import { SignatureSpecSchema, signatureSpec, verifySignature, type SignatureSpec } from "../../src/providers/signatures";
import { standard } from "../../src/providers/standard";
import type { HandshakeRequest, InboundRequest, VerifyResult } from "../../src/providers/types";
import { hmacBase64, hmacHex } from "../helpers/sign";

const NOW = 1_750_000_000;
const BODY = '{"id":"evt_1","data":{"name":"Zoë \\u003cb\\u003e"}}';
const SECRET = "sig-test-secret-0123456789abcdef";
const OTHER = "somebody-elses-secret-0123456789";

function request(headers: Record<string, string>, body = BODY, now = NOW): InboundRequest {
  return { headers: new Headers(headers), rawBody: body, json: JSON.parse(body), now };
}

function expectRejected(result: VerifyResult, mentions: RegExp) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toMatch(mentions);
  for (const s of [SECRET, OTHER]) expect(result.reason).not.toContain(s);
}

describe("plain", () => {
  const spec = signatureSpec({ header: "x-sig" });

  it("accepts the hex HMAC of the body, in either letter case, and refuses anything else", async () => {
    const sig = await hmacHex(SECRET, BODY);
    expect(await verifySignature(request({ "x-sig": sig }), spec, [SECRET])).toEqual({ ok: true });
    expect(await verifySignature(request({ "x-sig": sig.toUpperCase() }), spec, [SECRET])).toEqual({ ok: true });
    expectRejected(await verifySignature(request({ "x-sig": await hmacHex(OTHER, BODY) }), spec, [SECRET]), /x-sig does not match/);
    expectRejected(await verifySignature(request({ "x-sig": sig }, BODY.replace("evt_1", "evt_2")), spec, [SECRET]), /does not match/);
    expectRejected(await verifySignature(request({}), spec, [SECRET]), /missing x-sig header/);
  });

  it("accepts either secret of a rotation", async () => {
    expect(await verifySignature(request({ "x-sig": await hmacHex(OTHER, BODY) }), spec, [SECRET, OTHER])).toEqual({ ok: true });
  });

  it("checks a prefix and base64 encoding", async () => {
    const b64 = signatureSpec({ header: "x-sig", prefix: "sha512=", algorithm: "sha512", encoding: "base64" });
    const sig = await hmacBase64(SECRET, BODY, "sha512");
    expect(await verifySignature(request({ "x-sig": `sha512=${sig}` }), b64, [SECRET])).toEqual({ ok: true });
    expectRejected(await verifySignature(request({ "x-sig": sig }), b64, [SECRET]), /prefix/);
  });
});

describe("scheme_word", () => {
  const spec = signatureSpec({ header: "signature", format: "scheme_word" });

  it('accepts "sha256 <hex>" and refuses another word or shape', async () => {
    const sig = await hmacHex(SECRET, BODY);
    expect(await verifySignature(request({ signature: `sha256 ${sig}` }), spec, [SECRET])).toEqual({ ok: true });
    expect(await verifySignature(request({ signature: `SHA256  ${sig}` }), spec, [SECRET])).toEqual({ ok: true });
    expectRejected(await verifySignature(request({ signature: `sha512 ${sig}` }), spec, [SECRET]), /not "sha256 <signature>"/);
    expectRejected(await verifySignature(request({ signature: sig }), spec, [SECRET]), /not "sha256 <signature>"/);
    expectRejected(await verifySignature(request({ signature: `sha256 ${await hmacHex(OTHER, BODY)}` }), spec, [SECRET]), /does not match/);
  });
});

describe("pairs with a timestamp inside the header (t=...,v1=...)", () => {
  const spec = signatureSpec({ header: "x-sig", format: "pairs", timestamp_key: "t", signed: ["timestamp", "body"] });
  const pair = async (secret: string, t: number, body = BODY) => `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;

  it("accepts a correct pair", async () => {
    expect(await verifySignature(request({ "x-sig": await pair(SECRET, NOW) }), spec, [SECRET])).toEqual({ ok: true });
  });

  it("accepts any of several pairs (space-separated while a secret rotates) or several v1 after one t", async () => {
    const rotating = `${await pair(OTHER, NOW)} ${await pair(SECRET, NOW)}`;
    expect(await verifySignature(request({ "x-sig": rotating }), spec, [SECRET])).toEqual({ ok: true });
    const stripeLike = `t=${NOW},v1=${await hmacHex(OTHER, `${NOW}.${BODY}`)},v0=ignored,v1=${await hmacHex(SECRET, `${NOW}.${BODY}`)}`;
    expect(await verifySignature(request({ "x-sig": stripeLike }), spec, [SECRET])).toEqual({ ok: true });
  });

  it("refuses a wrong secret, a tampered body, a changed t and a missing header", async () => {
    expectRejected(await verifySignature(request({ "x-sig": await pair(OTHER, NOW) }), spec, [SECRET]), /does not match/);
    expectRejected(await verifySignature(request({ "x-sig": await pair(SECRET, NOW) }, BODY.replace("evt_1", "evt_9")), spec, [SECRET]), /does not match/);
    const moved = (await pair(SECRET, NOW)).replace(`t=${NOW}`, `t=${NOW + 1}`);
    expectRejected(await verifySignature(request({ "x-sig": moved }), spec, [SECRET]), /does not match/);
    expectRejected(await verifySignature(request({}), spec, [SECRET]), /missing x-sig header/);
  });

  it.each([
    ["older than the tolerance", NOW - TIMESTAMP_TOLERANCE_SECONDS - 1],
    ["ahead of the tolerance", NOW + TIMESTAMP_TOLERANCE_SECONDS + 1],
  ])("refuses a correctly signed pair %s", async (_, t) => {
    expectRejected(await verifySignature(request({ "x-sig": await pair(SECRET, t) }), spec, [SECRET]), /t= timestamp is outside the 5-minute tolerance/);
  });

  it("accepts timestamps at the edges of the tolerance, and in milliseconds", async () => {
    for (const t of [NOW - TIMESTAMP_TOLERANCE_SECONDS, NOW + TIMESTAMP_TOLERANCE_SECONDS, NOW * 1000]) {
      expect(await verifySignature(request({ "x-sig": await pair(SECRET, t) }), spec, [SECRET])).toEqual({ ok: true });
    }
  });

  it("uses only pairs whose timestamp is fresh", async () => {
    const mixed = `${await pair(SECRET, NOW - 3600)} ${await pair(OTHER, NOW)}`;
    expectRejected(await verifySignature(request({ "x-sig": mixed }), spec, [SECRET]), /does not match/);
  });

  it("refuses pairs without t or without v1", async () => {
    expectRejected(await verifySignature(request({ "x-sig": `v1=${await hmacHex(SECRET, `${NOW}.${BODY}`)}` }), spec, [SECRET]), /has no t= timestamp/);
    expectRejected(await verifySignature(request({ "x-sig": `t=${NOW}` }), spec, [SECRET]), /has no v1 signature/);
    expectRejected(await verifySignature(request({ "x-sig": `t=abc,v1=00` }), spec, [SECRET]), /not a unix timestamp/);
  });

  it("looks at no more than 32 signatures of a header", async () => {
    const junk = Array.from({ length: 40 }, () => "v1=00").join(",");
    const good = await hmacHex(SECRET, `${NOW}.${BODY}`);
    expectRejected(await verifySignature(request({ "x-sig": `t=${NOW},${junk},v1=${good}` }), spec, [SECRET]), /does not match/);
  });
});

describe("pairs with a timestamp header and headers in the signed content", () => {
  // SmartRecruiters' documented example: key, headers and body as published, with the signature they give.
  const spec = signatureSpec({
    header: "smartrecruiters-signature",
    format: "pairs",
    timestamp_header: "smartrecruiters-timestamp",
    signed: ["timestamp", "body", "header:event-id", "header:event-name", "header:event-version", "header:link"],
  });
  const headers = {
    "smartrecruiters-signature": "v1=2e9291f10d44ca10204a4cd81b05d73b6a316b2b605d4e2e0e0b37b40198ce1f",
    "smartrecruiters-timestamp": "1574080897",
    "event-id": "123",
    link: "<http://smartrecruiters.com/endpoint>; rel=self",
    "event-name": "application.created",
    "event-version": "v201910",
  };
  const body = '{"job_id":"jid","candidate_id":"cid"}';
  const key = "HeBVky2bccvvkcXPimH8c";

  it("accepts the published example", async () => {
    expect(await verifySignature(request(headers, body, 1574080897), spec, [key])).toEqual({ ok: true });
  });

  it("refuses it when any signed header changes", async () => {
    for (const name of ["event-id", "event-name", "event-version", "link"] as const) {
      expectRejected(await verifySignature(request({ ...headers, [name]: `${headers[name]}x` }, body, 1574080897), spec, [key]), /does not match/);
    }
  });

  it("signs an absent header as an empty string", async () => {
    const { "event-version": _, ...without } = headers;
    const sig = await hmacHex(SECRET, ["1574080897", body, "123", "application.created", "", headers.link].join("."));
    expect(await verifySignature(request({ ...without, "smartrecruiters-signature": `v1=${sig}` }, body, 1574080897), spec, [SECRET])).toEqual({ ok: true });
  });

  it("refuses a missing or old timestamp header", async () => {
    const { "smartrecruiters-timestamp": _, ...without } = headers;
    expectRejected(await verifySignature(request(without, body, 1574080897), spec, [key]), /missing smartrecruiters-timestamp header/);
    expectRejected(
      await verifySignature(request(headers, body, 1574080897 + 3600), spec, [key]),
      /smartrecruiters-timestamp is outside the 5-minute tolerance/,
    );
  });

  it("accepts one matching signature among several ;-separated ones", async () => {
    const several = `v1=${"0".repeat(64)};${headers["smartrecruiters-signature"]};v2=abc`;
    expect(await verifySignature(request({ ...headers, "smartrecruiters-signature": several }, body, 1574080897), spec, [key])).toEqual({ ok: true });
  });
});

describe("spec schema", () => {
  it("needs a timestamp source when the timestamp is signed, and pairs for timestamp_key", () => {
    expect(SignatureSpecSchema.safeParse({ header: "x", signed: ["timestamp", "body"] }).success).toBe(false);
    expect(SignatureSpecSchema.safeParse({ header: "x", timestamp_key: "t" }).success).toBe(false);
    expect(SignatureSpecSchema.safeParse({ header: "x", signed: ["body", "header:bad header"] }).success).toBe(false);
    expect(SignatureSpecSchema.safeParse({ header: "x", format: "pairs", timestamp_key: "t", signed: ["timestamp", "body"] }).success).toBe(true);
  });

  it("defaults to a plain hex SHA-256 of the body", () => {
    const spec: SignatureSpec = signatureSpec({ header: "x" });
    expect(spec).toMatchObject({ format: "plain", algorithm: "sha256", encoding: "hex", signed: ["body"], separator: ".", signature_key: "v1" });
  });
});

// ---- the standard adapter -------------------------------------------------------------------

const fields = { case_id: "/data/name" };

describe("standard verify: scheme signature", () => {
  it("verifies a Stripe-style header from configuration alone", async () => {
    const config = standard.configSchema.parse({
      verify: { scheme: "signature", header: "stripe-signature", format: "pairs", timestamp_key: "t", signed: ["timestamp", "body"], secret: [OTHER, SECRET] },
      fields,
    });
    const header = `t=${NOW},v1=${await hmacHex(SECRET, `${NOW}.${BODY}`)}`;
    expect(await standard.verify(request({ "stripe-signature": header }), config)).toEqual({ ok: true });
    expectRejected(await standard.verify(request({ "stripe-signature": header }, BODY, NOW + 3600), config), /tolerance/);
  });

  it("verifies a scheme-word header", async () => {
    const config = standard.configSchema.parse({ verify: { scheme: "signature", header: "signature", format: "scheme_word", secret: SECRET }, fields });
    expect(await standard.verify(request({ signature: `sha256 ${await hmacHex(SECRET, BODY)}` }), config)).toEqual({ ok: true });
  });

  it("still takes the shared schemes, and refuses an incomplete signature scheme", () => {
    expect(standard.configSchema.safeParse({ verify: { scheme: "token", header: "x-token", tokens: ["t-long-enough-0123"] }, fields }).success).toBe(true);
    expect(standard.configSchema.safeParse({ verify: { scheme: "signature", header: "x" }, fields }).success).toBe(false);
    expect(standard.configSchema.safeParse({ verify: { scheme: "signature", header: "x", secret: SECRET, signed: ["timestamp"] }, fields }).success).toBe(
      false,
    );
  });
});

const hs = (method: "GET" | "POST", opts: { headers?: Record<string, string>; query?: string } = {}): HandshakeRequest => ({
  method,
  headers: new Headers(opts.headers ?? {}),
  query: new URLSearchParams(opts.query ?? ""),
  rawBody: "",
  now: NOW,
});

describe("handshakes", () => {
  it("echoes a header on POST only, and only what can be echoed safely", () => {
    expect(echoHeader(hs("POST", { headers: { "x-hook-secret": "4jn8fs9011jj8" } }), "x-hook-secret")).toEqual({
      status: 200,
      headers: { "x-hook-secret": "4jn8fs9011jj8" },
    });
    expect(echoHeader(hs("POST"), "x-hook-secret")).toBeNull();
    expect(echoHeader(hs("GET", { headers: { "x-hook-secret": "abc" } }), "x-hook-secret")).toBeNull();
    expect(echoHeader(hs("POST", { headers: { "x-hook-secret": "a b" } }), "x-hook-secret")).toBeNull();
    expect(echoHeader(hs("POST", { headers: { "x-hook-secret": "x".repeat(513) } }), "x-hook-secret")).toBeNull();
  });

  it("answers a GET challenge as text or JSON", async () => {
    const text = GetChallengeSchema.parse({ param: "challenge" });
    expect(await answerGetChallenge(hs("GET", { query: "challenge=abc123" }), text)).toEqual({
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "abc123",
    });
    const json = GetChallengeSchema.parse({ param: "challenge", respond: "json" });
    expect(await answerGetChallenge(hs("GET", { query: "challenge=abc123" }), json)).toMatchObject({ status: 200, body: '{"challenge":"abc123"}' });
    expect(await answerGetChallenge(hs("GET"), text)).toBeNull();
    expect(await answerGetChallenge(hs("POST", { query: "challenge=abc" }), text)).toBeNull();
    expect(await answerGetChallenge(hs("GET", { query: "challenge=%3Cscript%3E" }), text)).toBeNull();
  });

  it("checks a verify token before answering", async () => {
    const spec = GetChallengeSchema.parse({ param: "hub.challenge", verify_token: { param: "hub.verify_token", tokens: ["verify-me-0123456789"] } });
    expect(
      await answerGetChallenge(hs("GET", { query: "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me-0123456789" }), spec),
    ).toMatchObject({ status: 200, body: "1158201444" });
    const wrong = await answerGetChallenge(hs("GET", { query: "hub.challenge=1158201444&hub.verify_token=guess" }), spec);
    expect(wrong).toEqual({ status: 401, reason: "hub.verify_token is not a valid token for this source" });
    expect(await answerGetChallenge(hs("GET", { query: "hub.challenge=1158201444" }), spec)).toEqual({
      status: 401,
      reason: "missing hub.verify_token query parameter",
    });
  });

  it("are what the standard adapter's handshake config asks for", async () => {
    const verify = { scheme: "token", header: "x-token", tokens: ["t-long-enough-0123"] };
    const both = standard.configSchema.parse({ verify, fields, handshake: { echo_header: "X-Hook-Secret", get_challenge: { param: "challenge" } } });
    expect(await standard.handshake!(hs("POST", { headers: { "x-hook-secret": "s3" } }), both)).toEqual({ status: 200, headers: { "X-Hook-Secret": "s3" } });
    expect(await standard.handshake!(hs("GET", { query: "challenge=c1" }), both)).toMatchObject({ status: 200, body: "c1" });
    expect(await standard.handshake!(hs("POST"), both)).toBeNull();
    const none = standard.configSchema.parse({ verify, fields });
    expect(await standard.handshake!(hs("GET", { query: "challenge=c1" }), none)).toBeNull();
    expect(standard.configSchema.safeParse({ verify, fields, handshake: {} }).success).toBe(false);
  });
});
