// The demo customer's endpoint: receives what the relay forwards, verifies every delivery with
// the official standardwebhooks library (as README "Receiving events" tells customers to), and
// prints each one on one line. The same server, on another path, is the demo's alert endpoint
// (README "Alerts"). Either can be stopped and started again on the same port, as in an outage.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/** Long provider ids (UUIDs) shortened for one-line output; the story header shows them whole. */
export const shortId = (id) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** One readable line: provider, case, #sequence, type, status (provider_status), trigger kind, signature. */
export function describeDelivery(envelope, verified) {
  const d = envelope?.data;
  if (!d?.trigger) return null;
  const status = d.provider_status ? `${d.status} (${d.provider_status})` : d.status;
  const check = d.check ? `  [${d.check.name ?? d.check.id}: ${d.check.provider_status ?? d.check.status}]` : "";
  return [
    "  ⇢",
    d.provider.padEnd(10),
    shortId(d.case_id).padEnd(12),
    `#${d.sequence}`.padEnd(3),
    envelope.type.padEnd(14),
    `${status}${check}`,
    `· ${d.trigger.kind}`,
    verified ? "· signature ok" : "· SIGNATURE INVALID",
  ].join(" ");
}

/** One readable line for an operational notification: its type, the issue, its count, the signature. */
export function describeAlert(envelope, verified) {
  const i = envelope?.data?.issue;
  if (!i) return null;
  return [
    "  ✉ alert",
    envelope.type.padEnd(20),
    envelope.data.transition.padEnd(9),
    i.id,
    `${i.subject.type} ${i.subject.id}`,
    `count ${i.count}`,
    verified ? "· signature ok" : "· SIGNATURE INVALID",
  ].join("  ");
}

/**
 * Starts a receiver on a free port of 127.0.0.1; its URL is `url` (…/hooks, or `path`). Call
 * `setSecret()` with the endpoint's signing secret once the endpoint exists. Every request is
 * kept in `deliveries` as `{ at, id, envelope, verified }`, in arrival order. `down()` closes
 * the port (connections are refused, as when a receiver is stopped); `up()` opens it again.
 */
export async function startReceiver({ log = console.log, path = "/hooks", describe = describeDelivery } = {}) {
  let webhook = null;
  const deliveries = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    if (req.method !== "POST" || new URL(req.url, "http://receiver").pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    let verified = false;
    try {
      // Verify the exact bytes received, before parsing: that is what was signed.
      webhook?.verify(raw, {
        "webhook-id": req.headers["webhook-id"] ?? "",
        "webhook-timestamp": req.headers["webhook-timestamp"] ?? "",
        "webhook-signature": req.headers["webhook-signature"] ?? "",
      });
      verified = webhook !== null;
    } catch {
      verified = false;
    }
    let envelope = null;
    try {
      envelope = JSON.parse(raw);
    } catch {}
    deliveries.push({ at: Date.now(), id: req.headers["webhook-id"] ?? null, envelope, verified });
    const line = describe(envelope, verified);
    if (line) log(line);
    // A real endpoint rejects what it cannot verify; the relay would retry it.
    res.writeHead(verified ? 200 : 401, { "content-type": "application/json" }).end(verified ? '{"ok":true}' : '{"error":"bad signature"}');
  });
  const listen = (port) =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  const close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  await listen(0);
  const port = server.address().port;
  let listening = true;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    deliveries,
    setSecret(secret) {
      webhook = new Webhook(secret);
    },
    get listening() {
      return listening;
    },
    async down() {
      if (!listening) return;
      listening = false;
      await close();
    },
    async up() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    async stop() {
      if (!listening) return;
      listening = false;
      await close();
    },
  };
}

/** The demo's alert endpoint: the same receiver on /alerts, printing each notification. */
export function startAlertReceiver({ log = console.log } = {}) {
  return startReceiver({ log, path: "/alerts", describe: describeAlert });
}
