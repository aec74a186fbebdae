import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";

describe("endpoints", () => {
  it("creates an endpoint and shows its signing secret once", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id, { description: "ATS", filter: { types: ["case.completed"] } });
    expect(ep.id).toMatch(/^ep_/);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(ep).toMatchObject({ status: "active", description: "ATS", filter: { types: ["case.completed"] } });
    const got = await api.get(`/v1/endpoints/${ep.id}`);
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(ep.secret);
    expect(got.body.secret).toBeUndefined();
    const row = await env.DB.prepare("SELECT * FROM endpoints WHERE id = ?").bind(ep.id).first();
    expect(JSON.stringify(row)).not.toContain(ep.secret.slice(6));
  });

  it("rotates the secret, keeping the previous one live for 24 hours", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    const res = await api.post(`/v1/endpoints/${ep.id}/rotate-secret`);
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(ep.secret);
    const expires = Date.parse(res.body.previous_secret_expires_at);
    expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("pauses, resumes and updates", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    expect((await api.patch(`/v1/endpoints/${ep.id}`, { status: "paused" })).body.status).toBe("paused");
    const updated = await api.patch(`/v1/endpoints/${ep.id}`, { status: "active", url: "https://other.example.com/hook", description: "new" });
    expect(updated.body).toMatchObject({ status: "active", url: "https://other.example.com/hook", description: "new" });
    expect((await api.patch(`/v1/endpoints/${ep.id}`, { status: "disabled" })).status).toBe(422);
    expect((await api.delete(`/v1/endpoints/${ep.id}`)).body).toEqual({ id: ep.id, deleted: true });
    expect((await api.get(`/v1/endpoints/${ep.id}`)).status).toBe(404);
  });

  it.each([
    ["ftp://example.com/x", "must use https"],
    ["not a url", "not a valid absolute URL"],
    ["https://10.0.0.8/hook", "private"],
    ["https://192.168.1.1/hook", "private"],
    ["https://[fd00::1]/hook", "private"],
    ["https://metadata.internal/hook", "private"],
    ["https://user:pass@example.com/hook", "credentials"],
    ["http://example.com/hook", "https"],
  ])("rejects the endpoint URL %s", async (url, reason) => {
    const c = await createCustomer();
    const res = await api.post("/v1/endpoints", { customer_id: c.id, url });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain(reason);
  });

  it("accepts http://localhost while not deployed", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id, { url: "http://localhost:9000/hooks" });
    expect(ep.url).toBe("http://localhost:9000/hooks");
  });

  it("only lets a filter name the customer's own sources", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const own = await createSource(a.id);
    const foreign = await createSource(b.id);
    await createEndpoint(a.id, { filter: { source_ids: [own.id] } });
    const res = await api.post("/v1/endpoints", { customer_id: a.id, url: "https://x.example.com/h", filter: { source_ids: [foreign.id] } });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe("filter.source_ids");
    expect((await api.post("/v1/endpoints", { customer_id: a.id, url: "https://x.example.com/h", filter: { types: ["case.nope"] } })).status).toBe(422);
  });
});
