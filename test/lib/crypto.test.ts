import { describe, expect, it } from "vitest";
import { bytesToHex, decryptJson, encryptJson, HMAC_KEYS_KEPT, hmac, hmacKeysKept, matchesAny, timingSafeEqualStrings } from "../../src/lib/crypto";

const KEY = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

describe("crypto", () => {
  it("round-trips AES-GCM with a fresh IV each time", async () => {
    const value = { password: "hunter2", nested: [1, "two"] };
    const a = await encryptJson(KEY, value);
    const b = await encryptJson(KEY, value);
    expect(a).not.toBe(b);
    expect(a).not.toContain("hunter2");
    expect(await decryptJson(KEY, a)).toEqual(value);
  });

  it("refuses tampered ciphertext and a wrong key", async () => {
    const sealed = await encryptJson(KEY, "secret");
    const [v, iv, ct] = sealed.split(".");
    const flipped = `${v}.${iv}.${ct!.slice(0, -4)}${ct!.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    await expect(decryptJson(KEY, flipped)).rejects.toThrow();
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    await expect(decryptJson(other, sealed)).rejects.toThrow();
    await expect(decryptJson(KEY, "garbage")).rejects.toThrow();
  });

  it("signs HMAC with imported keys kept per algorithm and key, a bounded number of them", async () => {
    const jefe = new TextEncoder().encode("Jefe");
    const data = "what do ya want for nothing?";
    // RFC 4231, test case 2, twice: the second with the kept key.
    const sha256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    expect(bytesToHex(await hmac("sha256", jefe, data))).toBe(sha256);
    expect(bytesToHex(await hmac("sha256", jefe, data))).toBe(sha256);
    expect(bytesToHex(await hmac("sha512", jefe, data))).toBe(
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    );
    // The same bytes under the other algorithm are another key: no confusion between the two.
    expect(bytesToHex(await hmac("sha256", jefe, data))).toBe(sha256);
    for (let i = 0; i < HMAC_KEYS_KEPT + 5; i++) await hmac("sha256", new TextEncoder().encode(`key-${i}`), data);
    expect(hmacKeysKept()).toBe(HMAC_KEYS_KEPT);
    // A key dropped from the cache is imported again, with the same result.
    expect(bytesToHex(await hmac("sha256", jefe, data))).toBe(sha256);
  });

  it("compares secrets whatever their lengths", async () => {
    expect(await timingSafeEqualStrings("abc", "abc")).toBe(true);
    expect(await timingSafeEqualStrings("abc", "abd")).toBe(false);
    expect(await timingSafeEqualStrings("abc", "abcd")).toBe(false);
    expect(await timingSafeEqualStrings("", "")).toBe(true);
    expect(await matchesAny("b", ["a", "b"])).toBe(true);
    expect(await matchesAny("c", ["a", "b"])).toBe(false);
  });
});
