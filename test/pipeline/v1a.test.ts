/**
 * Asymmetric signatures (Standard Webhooks v1a, ed25519): an endpoint signs with v1, v1a or both;
 * receivers verify v1a with the published whpk_ key alone (here Web Crypto's Ed25519, as a
 * receiver in a Worker would; test/e2e/receiver.test.ts does it with Node's crypto.verify), also
 * across a rotation.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newSigningKeyPair, signatureHeader } from "../../src/pipeline/signing";
import { api } from "../helpers/api";
import { createCustomer, createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { verifiesV1a } from "../helpers/sign";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const PUBLIC_KEY = /^whpk_[A-Za-z0-9+/]{43}=$/;

/** A KarmaCheck relay with a second endpoint signing as `schemes`, on a receiver holding its public keys. */
async function relayWith(schemes: string[]) {
  const r = await karmacheckRelay(net);
  const ep = await createEndpoint(r.customer.id, { url: `https://v1a.example.com/${r.customer.id}`, signature_schemes: schemes });
  const keys = { list: [ep.public_key ?? ""] as string[] };
  const hook = receiver(net, ep.url, () => ep.secret ?? "", { publicKeys: () => keys.list });
  r.api.set("case-1", "Pending", null, "2024-05-25T19:00:00.000Z");
  return { ...r, ep, hook2: hook, keys };
}

describe("v1a signatures", () => {
  it("gives a v1a endpoint a whpk_ public key, returned at any time, and never its signing key", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id, { signature_schemes: ["v1a"] });
    expect(ep.public_key).toMatch(PUBLIC_KEY);
    expect(ep).toMatchObject({ signature_schemes: ["v1a"], previous_public_key: null });
    expect(ep.secret).toBeUndefined();
    const got = await api.get(`/v1/endpoints/${ep.id}`);
    expect(got.body.public_key).toBe(ep.public_key);
    expect(got.text).not.toContain("whsk_");
    const row = await env.DB.prepare("SELECT * FROM endpoints WHERE id = ?").bind(ep.id).first<Record<string, string>>();
    expect(row!.public_key).toBe(ep.public_key);
    // The signing key is stored encrypted only.
    expect(row!.signing_key_enc).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain("whsk_");
    // A v1 endpoint has no key pair until it signs with v1a.
    const v1 = await createEndpoint(c.id);
    expect(v1).toMatchObject({ signature_schemes: ["v1"], public_key: null });
    expect(v1.secret).toMatch(/^whsec_/);
  });

  it("signs a v1a endpoint's deliveries with ed25519 only, verifiable with the published public key", async () => {
    const r = await relayWith(["v1a"]);
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const [got] = await eventually(() => r.hook2.got.length === 1 && r.hook2.got);
    expect(got!.signature).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(got!.verifiedV1a).toBe(true);
    expect(got!.verified).toBe(false);
    const published = (await api.get(`/v1/endpoints/${r.ep.id}`)).body.public_key;
    expect(await verifiesV1a(published, got!.id, got!.timestamp, got!.raw, got!.signature)).toBe(true);
    // Any change to the body, the id or the timestamp breaks it.
    expect(await verifiesV1a(published, got!.id, got!.timestamp, got!.raw.replace('"sequence":1', '"sequence":2'), got!.signature)).toBe(false);
    expect(await verifiesV1a(published, `${got!.id}x`, got!.timestamp, got!.raw, got!.signature)).toBe(false);
    expect(await verifiesV1a(published, got!.id, String(Number(got!.timestamp) + 1), got!.raw, got!.signature)).toBe(false);
    // Another endpoint's key does not verify it.
    const other = await newSigningKeyPair();
    expect(await verifiesV1a(other.publicKey, got!.id, got!.timestamp, got!.raw, got!.signature)).toBe(false);
  });

  it("signs with both schemes when asked: standardwebhooks verifies v1, the public key v1a", async () => {
    const r = await relayWith(["v1", "v1a"]);
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const [got] = await eventually(() => r.hook2.got.length === 1 && r.hook2.got);
    expect(got!.signature.split(" ").map((s) => s.split(",")[0])).toEqual(["v1", "v1a"]);
    expect(got!.verified).toBe(true);
    expect(got!.verifiedV1a).toBe(true);
    expect(() =>
      new Webhook(r.ep.secret!).verify(got!.raw, { "webhook-id": got!.id, "webhook-timestamp": got!.timestamp, "webhook-signature": got!.signature }),
    ).not.toThrow();
  });

  it("keeps the old key signing alongside the new one for 24 hours after a rotation, then only the new", async () => {
    const r = await relayWith(["v1a"]);
    const old = r.ep.public_key!;
    const rotated = await api.post(`/v1/endpoints/${r.ep.id}/rotate-signing-key`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.public_key).toMatch(PUBLIC_KEY);
    expect(rotated.body.public_key).not.toBe(old);
    expect(rotated.body.previous_public_key).toBe(old);
    const expires = Date.parse(rotated.body.previous_signing_key_expires_at);
    expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(rotated.text).not.toContain("whsk_");

    await r.send(kcCaseEvent("case-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const [got] = await eventually(() => r.hook2.got.length === 1 && r.hook2.got);
    expect(got!.signature.split(" ")).toHaveLength(2);
    // A receiver still on the old key and one already on the new both verify.
    expect(await verifiesV1a(old, got!.id, got!.timestamp, got!.raw, got!.signature)).toBe(true);
    expect(await verifiesV1a(rotated.body.public_key, got!.id, got!.timestamp, got!.raw, got!.signature)).toBe(true);

    // 24 hours later the old key no longer signs (nor is it shown).
    await env.DB.prepare("UPDATE endpoints SET previous_signing_key_expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, r.ep.id)
      .run();
    await api.patch(`/v1/endpoints/${r.ep.id}`, { description: "refresh cache" });
    expect((await api.get(`/v1/endpoints/${r.ep.id}`)).body).toMatchObject({ previous_public_key: null, previous_signing_key_expires_at: null });
    r.api.set("case-1", "Complete", null, "2024-05-25T19:10:00.000Z");
    await r.send(kcCaseEvent("case-1", "2024-05-25T19:10:00.000Z", "Complete", null));
    const later = await eventually(() => r.hook2.got[1]);
    expect(later.signature.split(" ")).toHaveLength(1);
    expect(await verifiesV1a(rotated.body.public_key, later.id, later.timestamp, later.raw, later.signature)).toBe(true);
    expect(await verifiesV1a(old, later.id, later.timestamp, later.raw, later.signature)).toBe(false);
  });

  it("switches an endpoint to v1a and back by PATCH, keeping its key; rotation needs v1a", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    expect((await api.post(`/v1/endpoints/${ep.id}/rotate-signing-key`)).body.error.code).toBe("conflict");
    const on = await api.patch(`/v1/endpoints/${ep.id}`, { signature_schemes: ["v1", "v1a"] });
    expect(on.body).toMatchObject({ signature_schemes: ["v1", "v1a"], public_key: expect.stringMatching(PUBLIC_KEY) });
    const off = await api.patch(`/v1/endpoints/${ep.id}`, { signature_schemes: ["v1"] });
    expect(off.body).toMatchObject({ signature_schemes: ["v1"], public_key: on.body.public_key });
    const again = await api.patch(`/v1/endpoints/${ep.id}`, { signature_schemes: ["v1a"] });
    expect(again.body.public_key).toBe(on.body.public_key);
  });

  it.each([[[]], [["v2"]], [["v1", "v1"]], ["v1a"]])("refuses signature_schemes %j and changes nothing", async (schemes) => {
    const c = await createCustomer();
    const created = await api.post("/v1/endpoints", { customer_id: c.id, url: "https://x.example.com/h", signature_schemes: schemes });
    expect(created.status).toBe(422);
    expect(created.body.error.code).toBe("validation_failed");
    expect((await api.get(`/v1/endpoints?customer_id=${c.id}`)).body.data).toEqual([]);
    const ep = await createEndpoint(c.id);
    const patched = await api.patch(`/v1/endpoints/${ep.id}`, { signature_schemes: schemes });
    expect(patched.status).toBe(422);
    expect((await api.get(`/v1/endpoints/${ep.id}`)).body).toMatchObject({ signature_schemes: ["v1"], public_key: null });
  });
});

describe("signatureHeader", () => {
  it("signs id.timestamp.body with every live key of each scheme, current first", async () => {
    const a = await newSigningKeyPair();
    const b = await newSigningKeyPair();
    expect(a.signingKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    const secret = `whsec_${btoa("0123456789abcdef01234567")}`;
    const header = await signatureHeader(
      { schemes: ["v1", "v1a"], secrets: [secret], signingKeys: [a.signingKey, b.signingKey] },
      "evt_1",
      1_750_000_000,
      '{"x":1}',
    );
    const entries = header.split(" ");
    expect(entries.map((e) => e.split(",")[0])).toEqual(["v1", "v1a", "v1a"]);
    expect(await verifiesV1a(a.publicKey, "evt_1", "1750000000", '{"x":1}', entries[1]!)).toBe(true);
    expect(await verifiesV1a(b.publicKey, "evt_1", "1750000000", '{"x":1}', entries[2]!)).toBe(true);
    expect(await verifiesV1a(a.publicKey, "evt_1", "1750000000", '{"x":1}', entries[2]!)).toBe(false);
    // Only the schemes asked for.
    expect(await signatureHeader({ schemes: ["v1a"], secrets: [secret], signingKeys: [a.signingKey] }, "evt_1", 1, "{}")).toMatch(/^v1a,\S+$/);
    await expect(signatureHeader({ schemes: ["v1a"], secrets: [], signingKeys: ["whsk_c2hvcnQ="] }, "evt_1", 1, "{}")).rejects.toThrow(/32-byte/);
  });
});
