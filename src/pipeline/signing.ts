/**
 * Standard Webhooks signatures of one delivery, over `id.timestamp.body`:
 * - `v1`: base64 HMAC-SHA256 with each live whsec_ secret;
 * - `v1a`: base64 ed25519 signature with each live whsk_ key, verifiable with its whpk_ public key.
 * Keys as the specification serializes them: whsk_ + base64 of the 32-byte ed25519 seed, whpk_ +
 * base64 of the 32-byte raw public key. Ed25519 is Web Crypto's, in the Worker as in Node.
 */
import type { SignatureScheme } from "../domain";
import { base64ToBytes, bytesToBase64, hmac, standardWebhooksKey } from "../lib/crypto";

export const SIGNING_KEY_PREFIX = "whsk_";
export const PUBLIC_KEY_PREFIX = "whpk_";

const encoder = new TextEncoder();

/** PKCS #8 wrapping of an ed25519 seed (RFC 8410): Web Crypto imports private keys only so. */
const PKCS8_ED25519_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** Imported keys by whsk_ value: importing costs more than signing. Bounded like the other caches. */
const importedKeys = new Map<string, Promise<CryptoKey>>();
const MAX_IMPORTED_KEYS = 1_000;

function seedOf(signingKey: string): Uint8Array {
  if (!signingKey.startsWith(SIGNING_KEY_PREFIX)) throw new Error("a v1a signing key starts with whsk_");
  const seed = base64ToBytes(signingKey.slice(SIGNING_KEY_PREFIX.length));
  if (seed.length !== 32) throw new Error("a v1a signing key holds a 32-byte ed25519 seed");
  return seed;
}

function importSigningKey(signingKey: string): Promise<CryptoKey> {
  let key = importedKeys.get(signingKey);
  if (!key) {
    const seed = seedOf(signingKey);
    const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
    der.set(PKCS8_ED25519_PREFIX);
    der.set(seed, PKCS8_ED25519_PREFIX.length);
    key = crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
    key.catch(() => importedKeys.delete(signingKey));
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string);
    importedKeys.set(signingKey, key);
  }
  return key;
}

/** A new v1a key pair: the signing key stays with the relay (encrypted), the public key goes to receivers. */
export async function newSigningKeyPair(): Promise<{ signingKey: string; publicKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return { signingKey: `${SIGNING_KEY_PREFIX}${bytesToBase64(pkcs8.slice(-32))}`, publicKey: `${PUBLIC_KEY_PREFIX}${bytesToBase64(raw)}` };
}

/** What to sign with: the schemes the endpoint uses, and the live secrets and keys of each (current first). */
export type Signer = { schemes: readonly SignatureScheme[]; secrets: readonly string[]; signingKeys: readonly string[] };

/** The `webhook-signature` header: one `v1,` entry per live secret and one `v1a,` per live key, space-separated. */
export async function signatureHeader(signer: Signer, id: string, timestamp: number, body: string): Promise<string> {
  const content = `${id}.${timestamp}.${body}`;
  const data = encoder.encode(content);
  const v1 = signer.schemes.includes("v1") ? signer.secrets.map(async (s) => `v1,${bytesToBase64(await hmac("sha256", standardWebhooksKey(s), content))}`) : [];
  const v1a = signer.schemes.includes("v1a")
    ? signer.signingKeys.map(
        async (k) => `v1a,${bytesToBase64(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, await importSigningKey(k), data)))}`,
      )
    : [];
  return (await Promise.all([...v1, ...v1a])).join(" ");
}
