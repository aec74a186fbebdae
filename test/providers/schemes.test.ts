/**
 * Webhook authentication: the shared schemes and each adapter's verify. Signatures are computed
 * here with Web Crypto, and Standard Webhooks ones are cross-checked with the official library.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { casekeeper } from "../../src/providers/casekeeper";
import { karmacheck } from "../../src/providers/karmacheck";
import { keldair } from "../../src/providers/keldair";
import { TIMESTAMP_TOLERANCE_SECONDS, VerifySchema, verifyWith } from "../../src/providers/schemes";
import { standard } from "../../src/providers/standard";
import { truework } from "../../src/providers/truework";
import type { InboundRequest, VerifyResult } from "../../src/providers/types";
import karmaCase from "../fixtures/karmacheck-case-statuschange.json";
import keldairEvent from "../fixtures/keldair-event.json";
import trueworkCompleted from "../fixtures/truework-order-completed.json";

// ---- helpers ---------------------------------------------------------------------------------

/** A fixed clock: every timestamp below is relative to it. */
const NOW = 1_750_000_000;
const BODY = JSON.stringify(keldairEvent);

const encoder = new TextEncoder();
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

async function mac(algorithm: "sha256" | "sha512", key: Uint8Array, data: string): Promise<Uint8Array> {
  const hash = algorithm === "sha256" ? "SHA-256" : "SHA-512";
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(data)));
}

// Standard Webhooks secrets: "whsec_" + base64 of the key bytes.
const SW_1 = `whsec_${btoa("caserelay-test-signing-key-one!!")}`;
const SW_2 = `whsec_${btoa("caserelay-test-signing-key-two!!")}`;
const SW_OTHER = `whsec_${btoa("somebody-elses-signing-key-000!!")}`;

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>` keyed with the secret's decoded bytes. */
async function swSignature(secret: string, id: string, timestamp: number | string, body: string): Promise<string> {
  return `v1,${toBase64(await mac("sha256", fromBase64(secret.slice("whsec_".length)), `${id}.${timestamp}.${body}`))}`;
}

async function swHeaders(secret: string, body = BODY, timestamp: number = NOW, id = "msg_2hV9xQ"): Promise<Record<string, string>> {
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": await swSignature(secret, id, timestamp, body) };
}

function request(headers: Record<string, string>, body = BODY, now = NOW): InboundRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { headers: new Headers(headers), rawBody: body, json, now };
}

const basic = (user: string, pass: string) => ({ authorization: `Basic ${btoa(`${user}:${pass}`)}` });

function expectAccepted(result: VerifyResult) {
  expect(result).toEqual({ ok: true });
}

/** Refused, with a reason that names no configured secret (nor a Standard Webhooks key's base64). */
function expectRejected(result: VerifyResult, secrets: readonly string[], mentions?: RegExp) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(result.reason).not.toContain(secret);
    if (secret.startsWith("whsec_")) expect(result.reason).not.toContain(secret.slice("whsec_".length));
  }
  if (mentions) expect(result.reason).toMatch(mentions);
}

const scheme = (raw: unknown) => VerifySchema.parse(raw);

// ---- standard_webhooks ---------------------------------------------------------------------

describe("standard_webhooks", () => {
  const config = scheme({ scheme: "standard_webhooks", secret: SW_1 });
  const secrets = [SW_1];
  const verify = (headers: Record<string, string>, body = BODY, now = NOW) => verifyWith(request(headers, body, now), config);

  it("accepts a correct signature", async () => {
    expectAccepted(await verify(await swHeaders(SW_1)));
  });

  it("signs exactly as the official standardwebhooks library does", async () => {
    for (const body of [BODY, "", '{"name":"Zoë ✓ 日本"}']) {
      const official = new Webhook(SW_1).sign("msg_abc", new Date(NOW * 1000), body);
      expect(official).toBe(await swSignature(SW_1, "msg_abc", NOW, body));
    }
  });

  it("accepts what the official library signs", async () => {
    for (const body of [BODY, '{"name":"Zoë ✓ 日本"}']) {
      const signature = new Webhook(SW_1).sign("msg_official", new Date(NOW * 1000), body);
      const headers = { "webhook-id": "msg_official", "webhook-timestamp": String(NOW), "webhook-signature": signature };
      expectAccepted(await verify(headers, body));
    }
  });

  it("accepts any matching signature among several in the header", async () => {
    const h = await swHeaders(SW_1);
    const other = await swSignature(SW_OTHER, h["webhook-id"]!, NOW, BODY);
    expectAccepted(await verify({ ...h, "webhook-signature": `v1a,abc ${other} ${h["webhook-signature"]}` }));
  });

  it("accepts a timestamp just inside the 5-minute tolerance on either side", async () => {
    for (const ts of [NOW - TIMESTAMP_TOLERANCE_SECONDS, NOW + TIMESTAMP_TOLERANCE_SECONDS]) {
      expectAccepted(await verify(await swHeaders(SW_1, BODY, ts)));
    }
  });

  it("rejects a signature made with another secret", async () => {
    expectRejected(await verify(await swHeaders(SW_OTHER)), secrets, /signature/);
  });

  it("rejects a tampered body", async () => {
    const tampered = BODY.replace("applicant.hired", "applicant.fired");
    expectRejected(await verify(await swHeaders(SW_1), tampered), secrets, /signature/);
  });

  it("rejects a signature moved to another message id", async () => {
    const h = await swHeaders(SW_1);
    expectRejected(await verify({ ...h, "webhook-id": "msg_other" }), secrets);
  });

  it("rejects a timestamp changed after signing", async () => {
    const h = await swHeaders(SW_1);
    expectRejected(await verify({ ...h, "webhook-timestamp": String(NOW + 1) }), secrets);
  });

  it.each([
    ["more than 5 minutes old", NOW - TIMESTAMP_TOLERANCE_SECONDS - 1],
    ["an hour old", NOW - 3600],
    ["more than 5 minutes ahead", NOW + TIMESTAMP_TOLERANCE_SECONDS + 1],
  ])("rejects a correctly signed request %s", async (_, ts) => {
    expectRejected(await verify(await swHeaders(SW_1, BODY, ts)), secrets, /webhook-timestamp/);
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("rejects a request without %s", async (name) => {
    const h = await swHeaders(SW_1);
    delete h[name];
    expectRejected(await verify(h), secrets, new RegExp(name));
  });

  it.each([
    ["a non-numeric timestamp", { "webhook-timestamp": "yesterday" }],
    ["only a v2 signature", { "webhook-signature": "v2,AAAA" }],
    ["an empty v1 signature", { "webhook-signature": "v1," }],
    ["a bare signature without version", { "webhook-signature": "AAAA" }],
  ])("rejects %s", async (_, override) => {
    expectRejected(await verify({ ...(await swHeaders(SW_1)), ...override }), secrets);
  });

  it("accepts either secret while rotating", async () => {
    const rotating = scheme({ scheme: "standard_webhooks", secret: [SW_1, SW_2] });
    expectAccepted(await verifyWith(request(await swHeaders(SW_1)), rotating));
    expectAccepted(await verifyWith(request(await swHeaders(SW_2)), rotating));
    expectRejected(await verifyWith(request(await swHeaders(SW_OTHER)), rotating), [SW_1, SW_2]);
  });

  it("refuses more than two secrets or an empty one", () => {
    expect(VerifySchema.safeParse({ scheme: "standard_webhooks", secret: [SW_1, SW_2, SW_OTHER] }).success).toBe(false);
    expect(VerifySchema.safeParse({ scheme: "standard_webhooks", secret: "" }).success).toBe(false);
  });
});

// ---- hmac ----------------------------------------------------------------------------------

describe("hmac", () => {
  const SECRET = "hmac-secret-Zq81-first";
  const SECRET_2 = "hmac-secret-Zq81-second";
  const WRONG = "hmac-secret-Zq81-wrong";

  async function sign(algorithm: "sha256" | "sha512", encoding: "hex" | "base64", secret: string, content: string) {
    const bytes = await mac(algorithm, encoder.encode(secret), content);
    return encoding === "hex" ? toHex(bytes) : toBase64(bytes);
  }

  describe.each([
    ["sha256", "hex"],
    ["sha256", "base64"],
    ["sha512", "hex"],
    ["sha512", "base64"],
  ] as const)("%s / %s", (algorithm, encoding) => {
    const config = scheme({ scheme: "hmac", header: "X-Signature", algorithm, encoding, secret: SECRET });
    const verify = (headers: Record<string, string>, body = BODY) => verifyWith(request(headers, body), config);

    it("accepts a correct signature", async () => {
      expectAccepted(await verify({ "x-signature": await sign(algorithm, encoding, SECRET, BODY) }));
    });

    it("rejects another secret, a tampered body and a missing header", async () => {
      expectRejected(await verify({ "x-signature": await sign(algorithm, encoding, WRONG, BODY) }), [SECRET], /x-signature|X-Signature/i);
      expectRejected(await verify({ "x-signature": await sign(algorithm, encoding, SECRET, BODY) }, `${BODY} `), [SECRET]);
      expectRejected(await verify({}), [SECRET], /missing/);
    });

    it("accepts either secret while rotating", async () => {
      const rotating = scheme({ scheme: "hmac", header: "X-Signature", algorithm, encoding, secret: [SECRET, SECRET_2] });
      for (const s of [SECRET, SECRET_2]) {
        expectAccepted(await verifyWith(request({ "x-signature": await sign(algorithm, encoding, s, BODY) }), rotating));
      }
      expectRejected(await verifyWith(request({ "x-signature": await sign(algorithm, encoding, WRONG, BODY) }), rotating), [SECRET, SECRET_2]);
    });
  });

  it("defaults to sha256 hex", async () => {
    const config = scheme({ scheme: "hmac", header: "x-sig", secret: SECRET });
    expectAccepted(await verifyWith(request({ "x-sig": await sign("sha256", "hex", SECRET, BODY) }), config));
  });

  it("accepts upper-case hex", async () => {
    const config = scheme({ scheme: "hmac", header: "x-sig", secret: SECRET });
    expectAccepted(await verifyWith(request({ "x-sig": (await sign("sha256", "hex", SECRET, BODY)).toUpperCase() }), config));
  });

  describe("with a prefix", () => {
    const config = scheme({ scheme: "hmac", header: "X-Hub-Signature-256", prefix: "sha256=", secret: SECRET });
    const verify = (value: string) => verifyWith(request({ "x-hub-signature-256": value }), config);

    it("accepts the prefixed signature", async () => {
      expectAccepted(await verify(`sha256=${await sign("sha256", "hex", SECRET, BODY)}`));
    });

    it("rejects the signature without its prefix or with another", async () => {
      const sig = await sign("sha256", "hex", SECRET, BODY);
      expectRejected(await verify(sig), [SECRET], /prefix/);
      expectRejected(await verify(`sha1=${sig}`), [SECRET], /prefix/);
      expectRejected(await verify(`sha256=${await sign("sha256", "hex", WRONG, BODY)}`), [SECRET]);
    });
  });

  describe("with a timestamp header", () => {
    const config = scheme({ scheme: "hmac", header: "x-sig", timestamp_header: "x-sig-timestamp", encoding: "base64", secret: SECRET });
    const signed = async (ts: number | string, body = BODY, secret = SECRET) => ({
      "x-sig": await sign("sha256", "base64", secret, `${ts}.${body}`),
      "x-sig-timestamp": String(ts),
    });
    const verify = (headers: Record<string, string>, body = BODY) => verifyWith(request(headers, body), config);

    it("signs {timestamp}.{body} by default", async () => {
      expectAccepted(await verify(await signed(NOW)));
    });

    it("accepts a timestamp in milliseconds", async () => {
      expectAccepted(await verify(await signed(NOW * 1000 + 123)));
    });

    it("rejects an old or future timestamp even when correctly signed", async () => {
      expectRejected(await verify(await signed(NOW - TIMESTAMP_TOLERANCE_SECONDS - 1)), [SECRET], /x-sig-timestamp/);
      expectRejected(await verify(await signed((NOW - 3600) * 1000)), [SECRET], /x-sig-timestamp/);
      expectRejected(await verify(await signed(NOW + TIMESTAMP_TOLERANCE_SECONDS + 1)), [SECRET], /x-sig-timestamp/);
    });

    it("rejects a missing or malformed timestamp header", async () => {
      const { "x-sig-timestamp": _, ...withoutTs } = await signed(NOW);
      expectRejected(await verify(withoutTs), [SECRET], /x-sig-timestamp/);
      expectRejected(await verify({ ...(await signed(NOW)), "x-sig-timestamp": "2024-01-01T00:00:00Z" }), [SECRET], /x-sig-timestamp/);
    });

    it("rejects a signature over the body alone, a moved timestamp, a tampered body and another secret", async () => {
      expectRejected(await verify({ "x-sig": await sign("sha256", "base64", SECRET, BODY), "x-sig-timestamp": String(NOW) }), [SECRET]);
      expectRejected(await verify({ ...(await signed(NOW)), "x-sig-timestamp": String(NOW - 1) }), [SECRET]);
      expectRejected(await verify(await signed(NOW), BODY.replace("Lee", "Lea")), [SECRET]);
      expectRejected(await verify(await signed(NOW, BODY, WRONG)), [SECRET]);
    });

    it("follows payload_template", async () => {
      const slack = scheme({
        scheme: "hmac",
        header: "x-slack-signature",
        prefix: "v0=",
        timestamp_header: "x-slack-request-timestamp",
        payload_template: "v0:{timestamp}:{body}",
        secret: SECRET,
      });
      const headers = { "x-slack-signature": `v0=${await sign("sha256", "hex", SECRET, `v0:${NOW}:${BODY}`)}`, "x-slack-request-timestamp": String(NOW) };
      expectAccepted(await verifyWith(request(headers), slack));
    });

    it("signs a body containing {timestamp} as sent", async () => {
      const body = JSON.stringify({ note: "literal {timestamp} and {body}" });
      expectAccepted(await verify(await signed(NOW, body), body));
    });
  });
});

// ---- token and basic -----------------------------------------------------------------------

describe("token", () => {
  const TOKENS = ["tok-A-9f8e7d6c5b4a", "tok-B-1a2b3c4d5e6f"];
  const config = scheme({ scheme: "token", header: "X-Webhook-Token", tokens: TOKENS });
  const verify = (headers: Record<string, string>) => verifyWith(request(headers), config);

  it("accepts any configured token, whatever the header name's case", async () => {
    expectAccepted(await verify({ "x-webhook-token": TOKENS[0]! }));
    expectAccepted(await verify({ "X-WEBHOOK-TOKEN": TOKENS[1]! }));
  });

  it("rejects a wrong, a partial and a missing token", async () => {
    expectRejected(await verify({ "x-webhook-token": "tok-C-00000000" }), TOKENS, /X-Webhook-Token/i);
    expectRejected(await verify({ "x-webhook-token": TOKENS[0]!.slice(0, -1) }), TOKENS);
    expectRejected(await verify({ "x-webhook-token": `${TOKENS[0]}${TOKENS[1]}` }), TOKENS);
    expectRejected(await verify({}), TOKENS, /missing/);
    expectRejected(await verify({ authorization: `Bearer ${TOKENS[0]}` }), TOKENS, /missing/);
  });
});

describe("basic", () => {
  const PASSWORDS = ["basic-pass-old-77", "basic-pass-new-88"];
  const config = scheme({ scheme: "basic", username: "relay", password: PASSWORDS });
  const verify = (headers: Record<string, string>) => verifyWith(request(headers), config);

  it("accepts the username with either password", async () => {
    expectAccepted(await verify(basic("relay", PASSWORDS[0]!)));
    expectAccepted(await verify(basic("relay", PASSWORDS[1]!)));
  });

  it("keeps colons after the first inside the password", async () => {
    const withColon = scheme({ scheme: "basic", username: "relay", password: "pa:ss:word" });
    expectAccepted(await verifyWith(request(basic("relay", "pa:ss:word")), withColon));
  });

  it("rejects a wrong password, a wrong username, and missing or malformed credentials", async () => {
    expectRejected(await verify(basic("relay", "basic-pass-wrong")), PASSWORDS, /invalid/);
    expectRejected(await verify(basic("someone", PASSWORDS[0]!)), PASSWORDS, /invalid/);
    expectRejected(await verify({}), PASSWORDS, /Basic/);
    expectRejected(await verify({ authorization: `Bearer ${PASSWORDS[0]}` }), PASSWORDS);
    expectRejected(await verify({ authorization: "Basic %%%" }), PASSWORDS);
    expectRejected(await verify({ authorization: `Basic ${btoa(`relay${PASSWORDS[0]}`)}` }), PASSWORDS);
    expectRejected(await verify({ authorization: "Basic A" }), PASSWORDS);
  });
});

// ---- adapters ------------------------------------------------------------------------------

describe("karmacheck verify", () => {
  const USER = "kc-user";
  const PASS = "kc-pass-1f2e3d";
  const PASS_NEW = "kc-pass-new-4c5b6a";
  const withCreds = (username: unknown, password: unknown) => JSON.stringify({ ...karmaCase, username, password });
  const verify = (raw: unknown, headers: Record<string, string>, body = JSON.stringify(karmaCase)) =>
    karmacheck.verify(request(headers, body), karmacheck.configSchema.parse(raw));

  describe("username and password", () => {
    const config = { username: USER, password: PASS };

    it("accepts them in the body", async () => {
      expectAccepted(await verify(config, {}, withCreds(USER, PASS)));
    });

    it("accepts them as HTTP Basic auth when the body's are null", async () => {
      expectAccepted(await verify(config, basic(USER, PASS)));
    });

    it("rejects wrong or missing credentials", async () => {
      expectRejected(await verify(config, {}, withCreds(USER, "nope")), [PASS], /invalid/);
      expectRejected(await verify(config, {}, withCreds("other", PASS)), [PASS], /invalid/);
      expectRejected(await verify(config, basic(USER, "nope")), [PASS], /invalid/);
      expectRejected(await verify(config, {}), [PASS], /missing/);
      expectRejected(await verify(config, {}, withCreds(USER, null)), [PASS], /missing/);
    });

    it("accepts either password while rotating", async () => {
      const rotating = { username: USER, password: [PASS, PASS_NEW] };
      expectAccepted(await verify(rotating, {}, withCreds(USER, PASS)));
      expectAccepted(await verify(rotating, basic(USER, PASS_NEW)));
      expectRejected(await verify(rotating, {}, withCreds(USER, "nope")), [PASS, PASS_NEW]);
    });
  });

  describe("Standard Webhooks (Svix)", () => {
    const body = JSON.stringify(karmaCase);

    it("accepts a correct signature and rejects a wrong, tampered, old or missing one", async () => {
      const config = { signing_secret: SW_1 };
      expectAccepted(await verify(config, await swHeaders(SW_1, body), body));
      expectRejected(await verify(config, await swHeaders(SW_OTHER, body), body), [SW_1]);
      expectRejected(await verify(config, await swHeaders(SW_1, body), body.replace("Pending", "Complete")), [SW_1]);
      expectRejected(await verify(config, await swHeaders(SW_1, body, NOW - 301), body), [SW_1]);
      expectRejected(await verify(config, {}, body), [SW_1], /missing/);
    });

    it("accepts either signing secret while rotating", async () => {
      const config = { signing_secret: [SW_1, SW_2] };
      expectAccepted(await verify(config, await swHeaders(SW_2, body), body));
      expectAccepted(await verify(config, await swHeaders(SW_1, body), body));
    });

    it("needs both the signature and the credentials when both are configured", async () => {
      const config = { signing_secret: SW_1, username: USER, password: PASS };
      const signed = withCreds(USER, PASS);
      expectAccepted(await verify(config, await swHeaders(SW_1, signed), signed));
      expectRejected(await verify(config, {}, signed), [SW_1, PASS]);
      const wrongCreds = withCreds(USER, "nope");
      expectRejected(await verify(config, await swHeaders(SW_1, wrongCreds), wrongCreds), [SW_1, PASS], /invalid/);
    });
  });

  it("accepts anything when only the API is configured (every event is refetched)", async () => {
    expectAccepted(await verify({ api: { api_key: "k", client_access_token: "c" } }, {}));
  });

  it("refuses a config without any way to trust events, or with half the credentials", () => {
    expect(karmacheck.configSchema.safeParse({}).success).toBe(false);
    expect(karmacheck.configSchema.safeParse({ username: USER }).success).toBe(false);
    expect(karmacheck.configSchema.safeParse({ password: PASS }).success).toBe(false);
  });
});

describe("truework verify", () => {
  const TOKENS = ["tw-token-aaaa1111", "tw-token-bbbb2222"];
  const config = truework.configSchema.parse({ tokens: TOKENS });
  const body = JSON.stringify(trueworkCompleted);
  const verify = (headers: Record<string, string>) => truework.verify(request(headers, body), config);

  it("accepts any configured X-Truework-Token", async () => {
    expectAccepted(await verify({ "X-Truework-Token": TOKENS[0]! }));
    expectAccepted(await verify({ "x-truework-token": TOKENS[1]! }));
  });

  it("rejects a wrong or missing token", async () => {
    expectRejected(await verify({ "x-truework-token": "tw-token-cccc3333" }), TOKENS, /x-truework-token/i);
    expectRejected(await verify({}), TOKENS, /missing/);
    expectRejected(await verify({ "x-other-token": TOKENS[0]! }), TOKENS, /missing/);
  });
});

describe("casekeeper verify", () => {
  const api = { base_url: "https://ck.example.com", client_id: "c", client_secret: "ck-client-secret" };
  const verify = (raw: unknown, headers: Record<string, string>) => casekeeper.verify(request(headers), casekeeper.configSchema.parse(raw));

  it("accepts any request without a configured token (the state is always refetched)", async () => {
    expectAccepted(await verify({ api }, {}));
  });

  it("checks the token in x-casekeeper-token when configured", async () => {
    const TOKEN = "ck-webhook-token-123";
    expectAccepted(await verify({ api, token: TOKEN }, { "x-casekeeper-token": TOKEN }));
    expectRejected(await verify({ api, token: TOKEN }, { "x-casekeeper-token": "wrong" }), [TOKEN, api.client_secret]);
    expectRejected(await verify({ api, token: TOKEN }, {}), [TOKEN, api.client_secret], /missing/);
  });

  it("uses a configured header and accepts either token while rotating", async () => {
    const TOKENS = ["ck-old-token-aaa", "ck-new-token-bbb"];
    const raw = { api, token: TOKENS, token_header: "X-Hook-Secret" };
    expectAccepted(await verify(raw, { "x-hook-secret": TOKENS[0]! }));
    expectAccepted(await verify(raw, { "x-hook-secret": TOKENS[1]! }));
    expectRejected(await verify(raw, { "x-casekeeper-token": TOKENS[0]! }), TOKENS, /missing/);
  });
});

describe("keldair verify", () => {
  it("uses Standard Webhooks for { secret }", async () => {
    const config = keldair.configSchema.parse({ verify: { secret: SW_1 } });
    expect(config.verify.scheme).toBe("standard_webhooks");
    expectAccepted(await keldair.verify(request(await swHeaders(SW_1)), config));
    expectRejected(await keldair.verify(request(await swHeaders(SW_1), BODY.replace("app_", "app-")), config), [SW_1]);
    expectRejected(await keldair.verify(request(await swHeaders(SW_1, BODY, NOW - 600)), config), [SW_1], /tolerance/);
  });

  it("uses a configured HMAC scheme", async () => {
    const SECRET = "keldair-hmac-secret-x";
    const config = keldair.configSchema.parse({
      verify: { scheme: "hmac", header: "x-keldair-signature", algorithm: "sha512", encoding: "base64", prefix: "sha512=", secret: SECRET },
    });
    const sig = `sha512=${toBase64(await mac("sha512", encoder.encode(SECRET), BODY))}`;
    expectAccepted(await keldair.verify(request({ "x-keldair-signature": sig }), config));
    expectRejected(await keldair.verify(request({ "x-keldair-signature": sig }, `${BODY}\n`), config), [SECRET]);
  });
});

describe("standard verify", () => {
  const fields = { case_id: "/data/id" };

  it("uses the configured scheme", async () => {
    const token = standard.configSchema.parse({ verify: { scheme: "token", header: "x-token", tokens: ["std-token-abc-0123"] }, fields });
    expectAccepted(await standard.verify(request({ "x-token": "std-token-abc-0123" }), token));
    expectRejected(await standard.verify(request({ "x-token": "nope" }), token), ["std-token-abc-0123"]);

    const creds = standard.configSchema.parse({ verify: { scheme: "basic", username: "u", password: "std-pass-xyz" }, fields });
    expectAccepted(await standard.verify(request(basic("u", "std-pass-xyz")), creds));
    expectRejected(await standard.verify(request(basic("u", "nope")), creds), ["std-pass-xyz"]);

    const sw = standard.configSchema.parse({ verify: { scheme: "standard_webhooks", secret: [SW_1, SW_2] }, fields });
    expectAccepted(await standard.verify(request(await swHeaders(SW_2)), sw));
    expectRejected(await standard.verify(request({}), sw), [SW_1, SW_2]);
  });

  it("refuses an unknown scheme", () => {
    expect(standard.configSchema.safeParse({ verify: { scheme: "none" }, fields }).success).toBe(false);
  });
});

describe("HTTP Basic credentials", () => {
  it("are decoded as UTF-8 (RFC 7617)", async () => {
    const { basicCredentials } = await import("../../src/providers/schemes");
    const encoded = btoa(String.fromCharCode(...new TextEncoder().encode("jürgen:pässwörd")));
    expect(basicCredentials(new Headers({ authorization: `Basic ${encoded}` }))).toEqual({ username: "jürgen", password: "pässwörd" });
  });
});
