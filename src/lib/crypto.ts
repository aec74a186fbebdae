/** Web Crypto helpers: encryption at rest, constant-time comparison, hashes and HMACs. */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Key bytes of a Standard Webhooks secret ("whsec_" + base64). */
export function standardWebhooksKey(secret: string): Uint8Array {
  const b64 = secret.startsWith("whsec_") ? secret.slice(6) : secret;
  try {
    return base64ToBytes(b64);
  } catch {
    return new TextEncoder().encode(secret);
  }
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  const input = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", input));
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return bytesToHex(await sha256(data));
}

/**
 * Constant-time string comparison. Both sides are hashed first, so neither the content
 * nor the length of the secret leaks through timing.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256(a), sha256(b)]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

/** True when `candidate` equals any of `secrets`; every comparison runs. */
export async function matchesAny(candidate: string, secrets: readonly string[]): Promise<boolean> {
  const results = await Promise.all(secrets.map((s) => timingSafeEqualStrings(candidate, s)));
  return results.includes(true);
}

export type HmacAlgorithm = "sha256" | "sha512";

/**
 * Imported HMAC keys (not extractable) in this isolate, by the SHA-256 of the algorithm and the key:
 * importing a key cost more CPU than the MAC itself in a profile of the pipeline, and every ingest
 * and every send signs or verifies with one of a few keys. The key material itself is not kept
 * (a rotated or deleted secret leaves only its digest and its non-extractable key). Bounded: the
 * least recently used goes first.
 */
const hmacKeys = new Map<string, CryptoKey>();
export const HMAC_KEYS_KEPT = 1_000;

async function hmacKey(algorithm: HmacAlgorithm, key: Uint8Array): Promise<CryptoKey> {
  const named = new Uint8Array(algorithm.length + 1 + key.length);
  named.set(encoder.encode(`${algorithm}:`));
  named.set(key, algorithm.length + 1);
  const id = bytesToHex(await sha256(named));
  const cached = hmacKeys.get(id);
  if (cached) {
    hmacKeys.delete(id);
    hmacKeys.set(id, cached);
    return cached;
  }
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: algorithm === "sha256" ? "SHA-256" : "SHA-512" }, false, ["sign"]);
  if (hmacKeys.size >= HMAC_KEYS_KEPT) hmacKeys.delete(hmacKeys.keys().next().value!);
  hmacKeys.set(id, imported);
  return imported;
}

/** How many imported HMAC keys this isolate keeps (for tests). */
export const hmacKeysKept = () => hmacKeys.size;

export async function hmac(algorithm: HmacAlgorithm, key: Uint8Array, data: string | Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await hmacKey(algorithm, key);
  const input = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, input));
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function aesKey(base64Key: string): Promise<CryptoKey> {
  let key = keyCache.get(base64Key);
  if (!key) {
    const raw = base64ToBytes(base64Key);
    if (raw.length !== 32) throw new Error("ENCRYPTION_KEY must be 32 bytes, base64-encoded");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(base64Key, key);
  }
  return key;
}

/** AES-256-GCM with a random 96-bit IV: "v1.<iv>.<ciphertext+tag>", base64 parts. */
export async function encryptJson(base64Key: string, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = encoder.encode(JSON.stringify(value));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await aesKey(base64Key), plaintext));
  return `v1.${bytesToBase64(iv)}.${bytesToBase64(ciphertext)}`;
}

export async function decryptJson<T>(base64Key: string, sealed: string): Promise<T> {
  const [version, iv, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext) throw new Error("unrecognized ciphertext format");
  const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv: base64ToBytes(iv) }, await aesKey(base64Key), base64ToBytes(ciphertext));
  return JSON.parse(decoder.decode(plaintext)) as T;
}

/** URL- and cookie-safe base64 (RFC 4648 §5), unpadded. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomToken(bytes = 24): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}
