/**
 * Presigned links (Case Keeper's S3 URLs live 5 minutes) are never forwarded expired: at send
 * time an expired one is replaced by null, and the receiver fetches a fresh one from the provider.
 */

/** When a presigned URL stops working (ms), or null if it is not a recognisable presigned URL. */
export function presignedExpiry(value: string): number | null {
  if (!/^https?:\/\//.test(value) || !value.includes("?")) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const q = url.searchParams;
  const amzDate = q.get("X-Amz-Date");
  const amzExpires = q.get("X-Amz-Expires");
  if (amzDate && amzExpires) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + Number(amzExpires) * 1000;
  }
  const expires = q.get("Expires") ?? q.get("expires");
  if (expires && /^\d{9,11}$/.test(expires)) return Number(expires) * 1000; // SigV2, CloudFront, GCS
  const se = q.get("se");
  if (se && q.get("sig")) {
    const at = Date.parse(se); // Azure SAS
    return Number.isNaN(at) ? null : at;
  }
  return null;
}

export function withoutExpiredLinks<T>(value: T, now: number): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const expiry = presignedExpiry(v);
      return expiry !== null && expiry <= now ? null : v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
