/**
 * Which outbound URLs the relay will call: customer endpoints and provider API bases.
 * Deployed: https only, and never an address on a private, loopback, link-local or otherwise
 * internal network (SSRF). Local development also allows http://localhost and http://127.0.0.1.
 * Names are checked as written; Cloudflare's own egress refuses to connect to private
 * addresses that a public name might resolve to.
 */

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function ipv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isInternalIpv4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast and reserved
  );
}

function isInternalIpv6(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "::" || h === "::1") return true;
  if (/^f[cd][0-9a-f]{2}:/.test(h)) return true; // unique local fc00::/7
  if (/^fe[89ab][0-9a-f]:/.test(h)) return true; // link-local fe80::/10
  if (h.startsWith("ff")) return true; // multicast
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped?.[1]) {
    const v4 = ipv4(mapped[1]);
    return v4 ? isInternalIpv4(v4) : true;
  }
  return h.startsWith("::ffff:"); // hex-form mapped addresses
}

function isInternalName(host: string): boolean {
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host.endsWith(".internal") ||
    host.endsWith(".lan") ||
    host.endsWith(".home.arpa") ||
    !host.includes(".")
  );
}

export function checkOutboundUrl(raw: string, allowLocal: boolean): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid absolute URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not embed credentials" };
  // "localhost." and "metadata.internal." name the same hosts as without the final dot.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  if (allowLocal && LOCAL_HOSTS.has(host) && (url.protocol === "http:" || url.protocol === "https:")) {
    return { ok: true, url };
  }
  if (url.protocol !== "https:") {
    return { ok: false, reason: allowLocal ? "must use https (or http://localhost locally)" : "must use https" };
  }
  const v4 = ipv4(host);
  if (v4 ? isInternalIpv4(v4) : host.startsWith("[") ? isInternalIpv6(host) : isInternalName(host)) {
    return { ok: false, reason: "must not point at a private, loopback or link-local address" };
  }
  // Numeric forms the URL parser would otherwise accept (decimal, hex or octal hosts).
  if (/^(0x[0-9a-f]+|\d+)$/i.test(host)) return { ok: false, reason: "must not use a numeric host" };
  return { ok: true, url };
}

/** Presigned URLs differ on every fetch; dedupe and change detection look at them without their query. */
export function withoutUrlQueries(value: unknown): unknown {
  if (typeof value === "string") return /^https?:\/\/[^\s]+\?/.test(value) ? value.slice(0, value.indexOf("?")) : value;
  if (Array.isArray(value)) return value.map(withoutUrlQueries);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutUrlQueries(v)]));
  return value;
}
