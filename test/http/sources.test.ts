import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { PROVIDER_NAMES, providers, type ProviderName } from "../../src/providers";
import { createCustomer, createSource, sampleConfigs, type Provider } from "../helpers/factories";

const secretValues = (config: unknown): string[] => {
  const out: string[] = [];
  const walk = (v: unknown, key = "") => {
    if (/password|secret|token|key/i.test(key) && typeof v === "string") out.push(v);
    if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(config);
  return out.filter((s) => s.length > 8);
};

describe("sources", () => {
  it.each(Object.keys(sampleConfigs) as Provider[])("connects a %s source and never returns its credentials", async (provider) => {
    const c = await createCustomer();
    const config = sampleConfigs[provider]();
    const s = await createSource(c.id, provider, config);
    expect(s.id).toMatch(/^src_/);
    expect(s.ingest_url).toBe(`http://relay.test/in/${s.id}`);
    expect(s).toMatchObject({
      customer_id: c.id,
      provider,
      reconcile_after_seconds: 21600,
      silence_after_seconds: 86400,
      last_receipt_at: null,
      silent_since: null,
    });
    const secrets = secretValues(config);
    expect(secrets.length).toBeGreaterThan(0);
    const { secrets: _ignored, ...created } = s;
    for (const res of [created, (await api.get(`/v1/sources/${s.id}`)).body, (await api.get(`/v1/sources?customer_id=${c.id}`)).body]) {
      const text = JSON.stringify(res);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).toContain("[redacted]");
    }
    // Stored encrypted: no plaintext credential anywhere in the row.
    const row = await env.DB.prepare("SELECT * FROM sources WHERE id = ?").bind(s.id).first();
    for (const secret of secrets) expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("documents each provider's config in OpenAPI, from its adapter", async () => {
    const doc = (await api.get("/v1/openapi.json")).body;
    const body = doc.paths["/v1/sources"].post.requestBody.content["application/json"].schema;
    expect(body.discriminator.propertyName).toBe("provider");
    const variants = body.oneOf.map((v: { $ref: string }) => doc.components.schemas[v.$ref.split("/").pop()!]);
    expect(variants.map((v: any) => v.properties.provider.enum[0]).sort()).toEqual([...PROVIDER_NAMES].sort());
    for (const v of variants) {
      const provider = v.properties.provider.enum[0] as ProviderName;
      expect(v.properties.config.example).toEqual(providers[provider].example);
      // Every credential the example holds is documented writeOnly somewhere in the variant.
      expect(JSON.stringify(v.properties.config), provider).toContain('"writeOnly":true');
    }
  });

  it("validates config per provider and names the field", async () => {
    const c = await createCustomer();
    const bad = await api.post("/v1/sources", { customer_id: c.id, provider: "truework", name: "tw", config: { tokens: [] } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("validation_failed");
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain("config.tokens");
    const kc = await api.post("/v1/sources", { customer_id: c.id, provider: "karmacheck", name: "kc", config: { username: "only-user" } });
    expect(kc.status).toBe(422);
    expect(kc.body.error.details[0].path).toBe("config.password");
    const unknown = await api.post("/v1/sources", { customer_id: c.id, provider: "acme", name: "x", config: {} });
    expect(unknown.status).toBe(422);
    expect((await api.post("/v1/sources", { customer_id: c.id, provider: "truework", name: "x", config: { tokens: ["t"], surprise: 1 } })).status).toBe(422);
    const noCustomer = await api.post("/v1/sources", {
      customer_id: "cus_00000000000000000000000000",
      provider: "truework",
      name: "x",
      config: sampleConfigs.truework(),
    });
    expect(noCustomer.status).toBe(404);
  });

  it("accepts localhost API bases in development and tests, but never private addresses", async () => {
    const c = await createCustomer();
    const local = sampleConfigs.truework();
    local.api.base_url = "http://127.0.0.1:9999";
    await createSource(c.id, "truework", local);
    const internal = sampleConfigs.truework();
    internal.api.base_url = "https://169.254.169.254";
    const res = await api.post("/v1/sources", { customer_id: c.id, provider: "truework", name: "x", config: internal });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe("config.api.base_url");
  });

  it("patches config as a merge patch, keeping the secrets it does not name", async () => {
    const c = await createCustomer();
    const config = sampleConfigs.karmacheck();
    const s = await createSource(c.id, "karmacheck", config);
    const res = await api.patch(`/v1/sources/${s.id}`, {
      name: "renamed",
      config: { password: ["new-pass-1", config.password] },
      reconcile_after_seconds: 600,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ name: "renamed", reconcile_after_seconds: 600 });
    expect(res.body.config).toMatchObject({
      username: "kc-hooks",
      password: ["[redacted]", "[redacted]"],
      api: { base_url: "https://api-stage.karmacheck.io", api_key: "[redacted]" },
    });
    const invalid = await api.patch(`/v1/sources/${s.id}`, { config: { username: null } });
    expect(invalid.status).toBe(422);
    expect((await api.patch(`/v1/sources/${s.id}`, { reconcile_after_seconds: 1 })).status).toBe(422);
  });

  it("deletes a source", async () => {
    const c = await createCustomer();
    const s = await createSource(c.id);
    expect((await api.delete(`/v1/sources/${s.id}`)).body).toEqual({ id: s.id, deleted: true });
    expect((await api.get(`/v1/sources/${s.id}`)).status).toBe(404);
    expect((await api.delete(`/v1/sources/${s.id}`)).status).toBe(404);
  });

  it("lists only the named customer's sources", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const sa = await createSource(a.id);
    await createSource(b.id);
    const list = await api.get(`/v1/sources?customer_id=${a.id}`);
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([sa.id]);
  });
});
