import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, request } from "../helpers/api";
import { createCustomer } from "../helpers/factories";

describe("bench routes", () => {
  it("count what the relay spends, outside production", async () => {
    await request("POST", "/bench/metrics/reset", { token: null });
    await createCustomer();
    const m = (await api.get("/bench/metrics", null)).body;
    expect(m.workerRequests).toBeGreaterThanOrEqual(2);
    expect(m.d1Queries).toBeGreaterThanOrEqual(1);
    expect(m.d1RowsWritten).toBeGreaterThanOrEqual(2); // customers row + its key-hash index
    expect((await request("POST", "/bench/noop", { token: null, raw: "{}" })).status).toBe(200);
  });

  it("do not exist in production", async () => {
    const prod = new Proxy(env, { get: (t, p) => (p === "ENVIRONMENT" ? "production" : Reflect.get(t, p)) });
    for (const [method, path] of [
      ["POST", "/bench/noop"],
      ["GET", "/bench/metrics"],
      ["POST", "/bench/metrics/reset"],
    ]) {
      const res = await worker.fetch(new Request(`http://relay.test${path}`, { method }), prod, createExecutionContext());
      expect(res.status, path).toBe(404);
    }
  });
});
