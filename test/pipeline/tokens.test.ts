import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { decryptJson } from "../../src/lib/crypto";
import { forgetTokens, tokenCache } from "../../src/pipeline/tokens";
import { createCustomer, createSource } from "../helpers/factories";

const KEY = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE=";

describe("provider token cache", () => {
  it("makes one provider call however many cases ask at once, and keeps the token encrypted in D1", async () => {
    const s = await createSource((await createCustomer()).id);
    const cache = tokenCache(createDb(env.DB), KEY, s.id);
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetchToken = async () => {
      calls++;
      await gate;
      return { token: "jwt-shared", expiresAt: null };
    };
    const asks = Array.from({ length: 10 }, () => cache.obtain("karmacheck:x", fetchToken));
    release();
    expect(await Promise.all(asks)).toEqual(Array(10).fill("jwt-shared"));
    expect(calls).toBe(1);
    const row = await env.DB.prepare("SELECT token_cache_enc FROM sources WHERE id = ?").bind(s.id).first<{ token_cache_enc: string }>();
    expect(row!.token_cache_enc).not.toContain("jwt-shared");
    expect(await decryptJson(KEY, row!.token_cache_enc)).toEqual({ "karmacheck:x": { token: "jwt-shared", expiresAt: null } });
    // Another isolate (simulated by forgetting this one's memory) reuses the stored token.
    forgetTokens(s.id);
    expect(await tokenCache(createDb(env.DB), KEY, s.id).obtain("karmacheck:x", fetchToken)).toBe("jwt-shared");
    expect(calls).toBe(1);
  });

  it("replaces an expired or rejected token, but not one another caller already replaced", async () => {
    const s = await createSource((await createCustomer()).id);
    const cache = tokenCache(createDb(env.DB), KEY, s.id);
    let n = 0;
    const next = async () => ({ token: `t${++n}`, expiresAt: n === 1 ? Date.now() - 1 : null });
    expect(await cache.obtain("k", next)).toBe("t1");
    expect(await cache.obtain("k", next)).toBe("t2"); // t1 was already expired
    await cache.invalidate("k", "t1"); // stale rejection: t2 stays
    expect(await cache.obtain("k", next)).toBe("t2");
    await cache.invalidate("k", "t2");
    expect(await cache.obtain("k", next)).toBe("t3");
  });
});
