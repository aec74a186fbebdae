/** Signing as vendors do, with Web Crypto, so tests compute expected signatures independently of src/. */
const encoder = new TextEncoder();

export async function mac(algorithm: "sha256" | "sha512", key: string, data: string): Promise<Uint8Array> {
  const hash = algorithm === "sha256" ? "SHA-256" : "SHA-512";
  const k = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(data)));
}

export const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
export const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

export const hmacHex = async (key: string, data: string, algorithm: "sha256" | "sha512" = "sha256") => toHex(await mac(algorithm, key, data));
export const hmacBase64 = async (key: string, data: string, algorithm: "sha256" | "sha512" = "sha256") => toBase64(await mac(algorithm, key, data));

/**
 * Verifies a `webhook-signature` header's v1a entries with a whpk_ public key, as a receiver
 * would: Web Crypto's Ed25519 over `id.timestamp.body`. True when any v1a signature matches.
 */
export async function verifiesV1a(publicKey: string, id: string, timestamp: string, body: string, header: string): Promise<boolean> {
  if (!publicKey.startsWith("whpk_")) return false;
  const raw = Uint8Array.from(atob(publicKey.slice(5)), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  const data = encoder.encode(`${id}.${timestamp}.${body}`);
  for (const entry of header.split(" ")) {
    const [version, sig] = entry.split(",");
    if (version !== "v1a" || !sig) continue;
    const bytes = Uint8Array.from(atob(sig), (c) => c.charCodeAt(0));
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, bytes, data)) return true;
  }
  return false;
}
