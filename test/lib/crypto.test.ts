import { describe, expect, it } from "vitest";
import { decryptJson, encryptJson, matchesAny, timingSafeEqualStrings } from "../../src/lib/crypto";

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

  it("compares secrets whatever their lengths", async () => {
    expect(await timingSafeEqualStrings("abc", "abc")).toBe(true);
    expect(await timingSafeEqualStrings("abc", "abd")).toBe(false);
    expect(await timingSafeEqualStrings("abc", "abcd")).toBe(false);
    expect(await timingSafeEqualStrings("", "")).toBe(true);
    expect(await matchesAny("b", ["a", "b"])).toBe(true);
    expect(await matchesAny("c", ["a", "b"])).toBe(false);
  });
});
