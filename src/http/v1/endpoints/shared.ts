import type { Context } from "hono";
import { and, eq, inArray } from "drizzle-orm";
import { sources, type EndpointRow } from "../../../db/schema";
import type { EndpointFilter } from "../../../domain";
import { bytesToBase64, encryptJson } from "../../../lib/crypto";
import { newSigningKeyPair } from "../../../pipeline/signing";
import { checkOutboundUrl } from "../../../lib/urls";
import type { HonoEnv } from "../../context";
import { RelayError } from "../../../lib/errors";
import { iso } from "../../pagination";

/** A Standard Webhooks signing secret: "whsec_" + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${bytesToBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

/** A new v1a key pair as the endpoint row stores it: the signing key encrypted, the public key as is. */
export async function signingKeyColumns(encryptionKey: string): Promise<{ signingKeyEnc: string; publicKey: string }> {
  const pair = await newSigningKeyPair();
  return { signingKeyEnc: await encryptJson(encryptionKey, pair.signingKey), publicKey: pair.publicKey };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * What names a host for the self-loop check: its name, and for a loopback name (local
 * development, where a receiver runs beside the relay) its port too.
 */
function hostKey(u: URL): string {
  const host = u.hostname.toLowerCase().replace(/\.+$/, "");
  return LOOPBACK.has(host) ? `${host}:${u.port || (u.protocol === "https:" ? "443" : "80")}` : host;
}

/** The names this relay is known to answer on: the request's host, and PUBLIC_BASE_URL's. */
function relayHosts(c: Context<HonoEnv>): Set<string> {
  const hosts = new Set([hostKey(new URL(c.req.url))]);
  if (c.var.config.publicBaseUrl) hosts.add(hostKey(new URL(c.var.config.publicBaseUrl)));
  return hosts;
}

/** The source id of an ingest path ("/in/src_..."), percent-decoded as the router would. */
function ingestSourceId(url: URL): string | null {
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Not decodable: the router would not find a source in it either.
  }
  return /^\/in\/(src_[0-9A-Z]{26})\/?$/.exec(path)?.[1] ?? null;
}

/**
 * An endpoint URL the relay may deliver to: the outbound policy (src/lib/urls.ts), and never the
 * relay itself, whose ingest would take each delivery as a new webhook and forward it again, in a
 * loop. Refused: any URL on the relay's own host names, and the ingest URL of any existing source
 * whatever host it is reached by (a workers.dev name, another custom domain).
 */
export async function checkEndpointUrl(c: Context<HonoEnv>, url: string): Promise<string> {
  const verdict = checkOutboundUrl(url, c.var.config.allowLocalUrls);
  if (!verdict.ok) throw new RelayError("validation_failed", `url ${verdict.reason}.`, [{ path: "url", message: verdict.reason }]);
  const selfLoop = "must not point at this relay itself: its deliveries would come back as webhooks";
  const host = hostKey(verdict.url);
  if (relayHosts(c).has(host))
    throw new RelayError("validation_failed", `url ${selfLoop} (${host} is the relay's own host).`, [{ path: "url", message: selfLoop }]);
  const sourceId = ingestSourceId(verdict.url);
  if (sourceId && (await c.var.db.select({ id: sources.id }).from(sources).where(eq(sources.id, sourceId)).get())) {
    throw new RelayError("validation_failed", `url ${selfLoop} (it is the ingest URL of ${sourceId}).`, [{ path: "url", message: selfLoop }]);
  }
  return verdict.url.toString();
}

/** An endpoint's filter may only name sources of its own customer. */
export async function checkFilter(c: Context<HonoEnv>, customerId: string, filter: EndpointFilter): Promise<void> {
  const ids = [...new Set(filter.source_ids ?? [])];
  if (!ids.length) return;
  const own = await c.var.db
    .select({ id: sources.id })
    .from(sources)
    .where(and(eq(sources.customerId, customerId), inArray(sources.id, ids)));
  const found = new Set(own.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) {
    throw new RelayError("validation_failed", `filter.source_ids names sources this customer does not have: ${missing.join(", ")}.`, [
      { path: "filter.source_ids", message: `unknown sources: ${missing.join(", ")}` },
    ]);
  }
}

export function endpointView(row: EndpointRow) {
  const now = Date.now();
  const previousLive = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now;
  const previousKeyLive = row.previousPublicKey !== null && row.previousSigningKeyExpiresAt !== null && row.previousSigningKeyExpiresAt > now;
  return {
    id: row.id,
    customer_id: row.customerId,
    url: row.url,
    description: row.description,
    filter: row.filter,
    status: row.status,
    disabled_reason: row.disabledReason,
    failing_since: iso(row.failingSince),
    previous_secret_expires_at: previousLive ? iso(row.previousSecretExpiresAt) : null,
    signature_schemes: row.signatureSchemes,
    public_key: row.publicKey,
    previous_public_key: previousKeyLive ? row.previousPublicKey : null,
    previous_signing_key_expires_at: previousKeyLive ? iso(row.previousSigningKeyExpiresAt) : null,
    rate_limit: row.rateLimit ?? null,
    throttled_until: row.throttledUntil !== null && row.throttledUntil > now ? iso(row.throttledUntil) : null,
    created_at: iso(row.createdAt) as string,
    updated_at: iso(row.updatedAt) as string,
  };
}
