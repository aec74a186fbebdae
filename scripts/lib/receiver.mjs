// The demo customer's endpoint: receives what the relay forwards, verifies every delivery with
// the official standardwebhooks library (as README "Receiving events" tells customers to), and
// prints each one on one line.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/** Long provider ids (UUIDs) shortened for one-line output; the story header shows them whole. */
export const shortId = (id) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** One readable line: provider, case, #sequence, type, status (provider_status), trigger kind, signature. */
export function describeDelivery(envelope, verified) {
  const d = envelope.data;
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

/**
 * Starts the receiver on a free port of 127.0.0.1; its URL is `url` (…/hooks). Call
 * `setSecret()` with the endpoint's signing secret once the endpoint exists. Every request is
 * kept in `deliveries` as `{ at, id, envelope, verified }`, in arrival order.
 */
export async function startReceiver({ log = console.log } = {}) {
  let webhook = null;
  const deliveries = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    if (req.method !== "POST" || new URL(req.url, "http://receiver").pathname !== "/hooks") {
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
    if (envelope?.data) log(describeDelivery(envelope, verified));
    // A real endpoint rejects what it cannot verify; the relay would retry it.
    res.writeHead(verified ? 200 : 401, { "content-type": "application/json" }).end(verified ? '{"ok":true}' : '{"error":"bad signature"}');
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    deliveries,
    setSecret(secret) {
      webhook = new Webhook(secret);
    },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
