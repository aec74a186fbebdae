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
