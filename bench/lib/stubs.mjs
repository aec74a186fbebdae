// The bench's counterparts on loopback: a KarmaCheck API answering in a fixed few milliseconds,
// and a customer endpoint that records when each event arrived.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";

export const API_LATENCY_MS = 3;

function listen(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 60_000;
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

const readBody = (req) =>
  new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

/** KarmaCheck's /auth/api and /case/id/{id}; `cases` is set by the sender as the provider's state moves. */
export async function karmacheckApi() {
  const cases = new Map();
  const stats = { auth: 0, fetches: 0 };
  const { server, url } = await listen(async (req, res) => {
    await readBody(req);
    await new Promise((r) => setTimeout(r, API_LATENCY_MS));
    const path = new URL(req.url, "http://x").pathname;
    res.setHeader("content-type", "application/json");
    if (path === "/auth/api") {
      stats.auth++;
      return res.end(JSON.stringify({ token: "bench-jwt" }));
    }
    const m = /^\/case\/id\/(.+)$/.exec(path);
    const c = m && cases.get(decodeURIComponent(m[1]));
    stats.fetches++;
    if (!c) {
      res.statusCode = 403;
      return res.end("{}");
    }
    res.end(JSON.stringify({ cases: [c] }));
  });
  return { url, cases, stats, close: () => server.close() };
}

/**
 * A customer endpoint: answers 204 and records arrival time per provider event id, and for paths
 * under /hooks/log/ every arrival (time, case, sequence) in `log`.
 */
export async function receiver() {
  const arrivals = new Map();
  const log = [];
  let count = 0;
  const { server, url } = await listen(async (req, res) => {
    const body = await readBody(req);
    const at = performance.now();
    count++;
    try {
      const data = JSON.parse(body).data;
      const id = data.trigger.provider_event_id;
      if (!arrivals.has(id)) arrivals.set(id, at);
      if (req.url.startsWith("/hooks/log/")) log.push({ path: req.url, at, caseId: data.case_id, sequence: data.sequence });
    } catch {}
    res.statusCode = 204;
    res.end();
  });
  return { url, arrivals, log, count: () => count, close: () => server.close() };
}

/** Standard Webhooks headers for a body (what a Svix-delivered KarmaCheck account sends). */
export function signStandard(secret, id, body, timestamp = Math.floor(Date.now() / 1000)) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const sig = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${sig}` };
}

/** A KarmaCheck case.statuschange webhook body. */
export function caseEvent(caseId, modStamp, primary, secondary, messageId) {
  return JSON.stringify({
    messageId,
    event: "case.statuschange",
    apiTrackingCode: null,
    apiTrackingUser: null,
    username: null,
    password: null,
    eventObject: {
      id: caseId,
      caseStatusId: `s-${primary}`,
      caseStatus: primary,
      secondaryCaseStatusId: secondary ? `s2-${secondary}` : null,
      secondaryStatus: secondary,
      modStamp,
      groupProfileId: "bench",
    },
  });
}
