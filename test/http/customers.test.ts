import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";

describe("customers", () => {
  it("creates a customer and shows its API key once", async () => {
    const res = await api.post("/v1/customers", { name: "Acme Hiring" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Acme Hiring" });
    expect(res.body.id).toMatch(/^cus_[0-9A-Z]{26}$/);
    expect(res.body.api_key).toMatch(/^crk_/);
    const got = await api.get(`/v1/customers/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ id: res.body.id, name: "Acme Hiring", created_at: res.body.created_at });
  });

  it("lists newest first with cursor pagination", async () => {
    const made = [await createCustomer(), await createCustomer(), await createCustomer()];
    const first = await api.get("/v1/customers?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toBe(first.body.data[1].id);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.get(`/v1/customers?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      ids.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(ids).toEqual([...ids].sort().reverse());
    for (const c of made) expect(ids).toContain(c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("renames, rotates the key and deletes", async () => {
    const c = await createCustomer();
    expect((await api.patch(`/v1/customers/${c.id}`, { name: "Renamed" })).body.name).toBe("Renamed");
    const rotated = await api.post(`/v1/customers/${c.id}/rotate-key`);
    expect(rotated.status).toBe(200);
    expect((await api.get(`/v1/customers/${c.id}`, c.api_key)).status).toBe(401);
    expect((await api.get(`/v1/customers/${c.id}`, rotated.body.api_key)).status).toBe(200);
    expect((await api.delete(`/v1/customers/${c.id}`)).body).toEqual({ id: c.id, deleted: true });
    expect((await api.get(`/v1/customers/${c.id}`)).status).toBe(404);
  });

  it("refuses to delete a customer that still owns sources or endpoints", async () => {
    const c = await createCustomer();
    await createSource(c.id);
    const res = await api.delete(`/v1/customers/${c.id}`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("conflict");
    const d = await createCustomer();
    await createEndpoint(d.id);
    expect((await api.delete(`/v1/customers/${d.id}`)).status).toBe(409);
  });

  it("rejects bad input with one error envelope", async () => {
    const missing = await api.post("/v1/customers", {});
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: "validation_failed" });
    expect(missing.body.error.details[0].path).toBe("name");
    expect(missing.body.error.request_id).toMatch(/^req_/);
    expect(missing.headers.get("x-request-id")).toBe(missing.body.error.request_id);

    expect((await api.post("/v1/customers", { name: 42 })).status).toBe(422);
    expect((await api.post("/v1/customers", { name: "x", extra: true })).status).toBe(422);
    const notJson = await api.post("/v1/customers", undefined);
    expect(notJson.status).toBe(422);
    const { request } = await import("../helpers/api");
    const broken = await request("POST", "/v1/customers", { raw: "{ nope", headers: { "content-type": "application/json" } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe("invalid_json");
    const text = await request("POST", "/v1/customers", { raw: "name=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe("unsupported_media_type");
    const huge = await api.post("/v1/customers", { name: "x".repeat(70_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    expect((await api.get("/v1/customers/cus_00000000000000000000000000")).status).toBe(404);
    expect((await api.get("/v1/customers/not-an-id")).status).toBe(422);
  });

  it("is operator-only to create, rename or delete customers", async () => {
    const c = await createCustomer();
    expect((await api.post("/v1/customers", { name: "x" }, c.api_key)).status).toBe(403);
    expect((await api.patch(`/v1/customers/${c.id}`, { name: "x" }, c.api_key)).status).toBe(403);
    expect((await api.delete(`/v1/customers/${c.id}`, c.api_key)).status).toBe(403);
    const own = await api.get("/v1/customers", c.api_key);
    expect(own.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
  });
});

describe("admin request bodies", () => {
  it("must be UTF-8: other bytes are refused, not stored as replacement characters", async () => {
    const { request } = await import("../helpers/api");
    const latin1 = new Uint8Array([...new TextEncoder().encode('{"name":"M'), 0xfc, ...new TextEncoder().encode('ller"}')]);
    const res = await request("POST", "/v1/customers", { raw: latin1, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_json");
    const ok = await request("POST", "/v1/customers", { raw: new TextEncoder().encode('{"name":"Müller"}'), headers: { "content-type": "application/json" } });
    expect(ok.status).toBe(201);
    expect(ok.body.name).toBe("Müller");
  });
});
