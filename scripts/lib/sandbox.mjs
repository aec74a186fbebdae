// A local stand-in for the providers' APIs, so the demo's refetches have something real to call.
// It answers exactly the requests the adapters make (src/providers/*.ts), checks their
// credentials, and serves cases from memory that the demo changes as the provider would.
// It is a Node server for scripts only; it is never part of the Worker.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** Every answer takes this long: quick and the same every time, like a healthy provider API. */
const LATENCY_MS = 3;
/** Case Keeper's presigned S3 links live 5 minutes. */
const PRESIGN_SECONDS = 300;

const secret = (prefix) => `${prefix}${randomBytes(12).toString("hex")}`;

/** `20240601T083000Z`, the X-Amz-Date format. */
const amzDate = (ms) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/**
 * Case Keeper keeps files in S3 and signs a fresh link on every API read. The demo stores
 * "s3://bucket/key" and each fetch turns it into a link signed now, valid for 5 minutes.
 */
function presignLinks(value, now) {
  if (typeof value === "string" && value.startsWith("s3://")) {
    const [bucket, ...key] = value.slice(5).split("/");
    const q = new URLSearchParams({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": `AKIADEMOSANDBOX/${amzDate(now).slice(0, 8)}/ap-southeast-1/s3/aws4_request`,
      "X-Amz-Date": amzDate(now),
      "X-Amz-Expires": String(PRESIGN_SECONDS),
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": randomBytes(32).toString("hex"),
    });
    return `https://${bucket}.s3.ap-southeast-1.amazonaws.com/${key.join("/")}?${q}`;
  }
  if (Array.isArray(value)) return value.map((v) => presignLinks(v, now));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, presignLinks(v, now)]));
  return value;
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

const bearer = (req) => /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? null;
/** The username of `Authorization: Basic` when its password is blank, as Checkr takes its API key. */
const basicUser = (req) => {
  const b64 = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const [user, ...password] = b64 ? Buffer.from(b64, "base64").toString("utf8").split(":") : [];
  return user !== undefined && password.join(":") === "" ? user : null;
};

/**
 * Starts the sandbox on a free port of 127.0.0.1. Returns its provider bases, the credentials
 * each source needs, `cases` (one Map per provider: id -> the provider's current entity) and
 * `calls` (requests answered per provider).
 */
export async function startSandbox() {
  const credentials = {
    karmacheck: { api_key: secret("kc_key_"), client_access_token: secret("kc_cat_") },
    truework: { api_key: secret("tw_key_") },
    casekeeper: { client_id: "caserelay-demo", client_secret: secret("ck_secret_") },
    keldair: { token: secret("kd_token_") },
    checkr: { api_key: secret("ck_test_") },
    persona: { api_key: secret("persona_sandbox_") },
  };
  // Tokens the sandbox issued: KarmaCheck's never expires, Case Keeper's after expires_in.
  const issued = { karmacheck: secret("kc_jwt_"), casekeeper: secret("ck_access_") };
  const cases = { karmacheck: new Map(), truework: new Map(), casekeeper: new Map(), keldair: new Map(), checkr: new Map(), persona: new Map() };
  const calls = { karmacheck: 0, truework: 0, casekeeper: 0, keldair: 0, checkr: 0, persona: 0 };

  /** [status, json] for one request; routes are the adapters' calls, under one prefix per provider. */
  async function answer(req, path) {
    const [, provider, ...rest] = path.split("/");
    const route = `${req.method} /${rest.join("/")}`;
    if (provider in calls) calls[provider]++;
    let m;
    switch (provider) {
      case "karmacheck":
        if (route === "POST /auth/api") {
          const body = JSON.parse((await readBody(req)) || "{}");
          const ok = body.apiKey === credentials.karmacheck.api_key && body.clientAccessToken === credentials.karmacheck.client_access_token;
          return ok ? [200, { token: issued.karmacheck }] : [401, { message: "invalid apiKey or clientAccessToken" }];
        }
        m = /^GET \/case\/id\/([^/]+)$/.exec(route);
        if (m) {
          if (bearer(req) !== issued.karmacheck) return [401, { message: "invalid token" }];
          const c = cases.karmacheck.get(decodeURIComponent(m[1]));
          // KarmaCheck answers 403 for a case that does not exist or is not visible.
          return c ? [200, { cases: [c] }] : [403, { message: "forbidden" }];
        }
        break;
      case "truework":
        m = /^GET \/orders\/([^/]+)$/.exec(route);
        if (m) {
          if (bearer(req) !== credentials.truework.api_key) return [401, { error: { message: "invalid API key" } }];
          const order = cases.truework.get(decodeURIComponent(m[1]));
          return order ? [200, order] : [404, { error: { message: "order not found" } }];
        }
        break;
      case "casekeeper":
        if (route === "POST /auth/realms/mac-portal/protocol/openid-connect/token") {
          const form = new URLSearchParams(await readBody(req));
          const ok =
            form.get("grant_type") === "client_credentials" &&
            form.get("client_id") === credentials.casekeeper.client_id &&
            form.get("client_secret") === credentials.casekeeper.client_secret;
          return ok ? [200, { access_token: issued.casekeeper, expires_in: 300, token_type: "Bearer" }] : [401, { error: "invalid_client" }];
        }
        m = /^GET \/api\/v3\/case-keeper\/verifications\/([^/]+)$/.exec(route);
        if (m) {
          if (bearer(req) !== issued.casekeeper) return [401, { message: "invalid token" }];
          const v = cases.casekeeper.get(decodeURIComponent(m[1]));
          return v ? [200, presignLinks(v, Date.now())] : [404, { message: "verification not found" }];
        }
        break;
      case "keldair":
        m = /^GET \/applicants\/([^/]+)$/.exec(route);
        if (m) {
          if (bearer(req) !== credentials.keldair.token) return [401, { message: "unauthorized" }];
          const a = cases.keldair.get(decodeURIComponent(m[1]));
          return a ? [200, a] : [404, { message: "applicant not found" }];
        }
        break;
      case "checkr":
        // Reports, invitations and candidates share one id space: the case's `object` says which it is.
        m = /^GET \/v1\/(reports|invitations|candidates)\/([^/]+)$/.exec(route);
        if (m) {
          if (basicUser(req) !== credentials.checkr.api_key) return [401, { error: "Bad authentication error" }];
          const o = cases.checkr.get(decodeURIComponent(m[2]));
          return o && `${o.object}s` === m[1] ? [200, o] : [404, { error: "Not Found" }];
        }
        break;
      case "persona":
        m = /^GET \/api\/v1\/inquiries\/([^/]+)$/.exec(route);
        if (m) {
          if (bearer(req) !== credentials.persona.api_key) return [401, { errors: [{ title: "Must be authenticated to access this endpoint" }] }];
          const doc = cases.persona.get(decodeURIComponent(m[1]));
          return doc ? [200, doc] : [404, { errors: [{ title: "Record not found" }] }];
        }
        break;
    }
    return [404, { message: `the sandbox has no route ${req.method} ${path}` }];
  }

  const server = createServer(async (req, res) => {
    let status = 500;
    let json = { message: "sandbox error" };
    try {
      [status, json] = await answer(req, new URL(req.url, "http://sandbox").pathname);
    } catch (err) {
      json = { message: String(err) };
    }
    setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json)), LATENCY_MS);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    base: Object.fromEntries(Object.keys(calls).map((p) => [p, `${url}/${p}`])),
    credentials,
    cases,
    calls,
    stop() {
      // The relay keeps connections alive; close them so the server stops at once.
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
