/** Shared checks run against every admin route listed in the generated OpenAPI document. */
import { describe, expect, it } from "vitest";
import { api, request } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";

async function operations(): Promise<{ method: string; path: string }[]> {
  const doc = (await api.get("/v1/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
}

const fill = (path: string, ids: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? "x");

describe("admin API security", () => {
  it("documents every admin route in the OpenAPI document", async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(17);
    for (const p of ["/v1/customers", "/v1/sources", "/v1/sources/{id}", "/v1/endpoints", "/v1/endpoints/{id}/rotate-secret"]) {
      expect(ops.some((o) => o.path === p)).toBe(true);
    }
  });

  it("requires a valid bearer token on every route", async () => {
    const c = await createCustomer();
    for (const op of await operations()) {
      const path = fill(op.path, { id: "src_00000000000000000000000000" });
      for (const token of [null, "wrong-token-000000000000", `Basic ${btoa("a:b")}`]) {
        const res = await request(op.method, path, { token, body: op.method === "GET" || op.method === "DELETE" ? undefined : {} });
        expect(res.status, `${op.method} ${path} with ${token}`).toBe(401);
        expect(res.body.error.code).toBe("unauthorized");
      }
    }
    expect((await api.get("/v1/openapi.json", null)).status).toBe(401);
    expect((await api.get("/v1/customers", c.api_key)).status).toBe(200);
  });

  it("keeps a customer's key away from another customer's resources", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const src = await createSource(a.id);
    const ep = await createEndpoint(a.id);
    const reads: [string, string][] = [
      ["GET", `/v1/customers/${a.id}`],
      ["GET", `/v1/sources/${src.id}`],
      ["PATCH", `/v1/sources/${src.id}`],
      ["DELETE", `/v1/sources/${src.id}`],
      ["GET", `/v1/endpoints/${ep.id}`],
      ["PATCH", `/v1/endpoints/${ep.id}`],
      ["DELETE", `/v1/endpoints/${ep.id}`],
      ["POST", `/v1/endpoints/${ep.id}/rotate-secret`],
      ["POST", `/v1/endpoints/${ep.id}/rotate-signing-key`],
      ["POST", `/v1/endpoints/${ep.id}/test`],
      ["GET", `/v1/endpoints/${ep.id}/tests`],
      ["GET", `/v1/sources?customer_id=${a.id}`],
      ["GET", `/v1/endpoints?customer_id=${a.id}`],
    ];
    for (const [method, path] of reads) {
      const res = await request(method, path, { token: b.api_key, body: method === "PATCH" ? { name: "x", description: "x" } : undefined });
      expect([403, 404, 422], `${method} ${path}`).toContain(res.status);
      expect(res.text).not.toContain(src.secrets.password);
    }
    expect((await request("POST", "/v1/sources", { token: b.api_key, body: { customer_id: a.id, provider: "truework", name: "x", config: { tokens: ["t"] } } })).status).toBe(404);
    expect((await request("POST", "/v1/endpoints", { token: b.api_key, body: { customer_id: a.id, url: "https://x.example.com" } })).status).toBe(404);
    // Their own listing shows only their own things.
    const list = await request("GET", "/v1/sources", { token: b.api_key });
    expect(list.body.data).toEqual([]);
    // And A's resources are untouched.
    expect((await api.get(`/v1/sources/${src.id}`)).status).toBe(200);
    expect((await api.get(`/v1/endpoints/${ep.id}`)).status).toBe(200);
  });

  it("serves /healthz without a token and answers unknown routes with the error envelope", async () => {
    expect((await api.get("/healthz", null)).status).toBe(200);
    const res = await api.get("/nope", null);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});
