/** The alerts API: /v1/issues (list, get, acknowledge, resolve) and /v1/alert-endpoints, their errors and who sees what. */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { indexStatements, type IndexWrite } from "../../src/db/index-writes";
import { api, request } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";

const cleanup: string[] = [];
beforeEach(() => {
  // Nothing here is meant to reach an alert endpoint: the notifier's queue is left out.
  vi.spyOn(env.ALERTS, "sendBatch").mockResolvedValue({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as never);
});
afterEach(async () => {
  for (const id of cleanup.splice(0)) await api.delete(`/v1/alert-endpoints/${id}`);
  vi.restoreAllMocks();
});

/** An issue written as the pipeline writes it. */
async function seen(kind: "endpoint.failing" | "source.silent" | "delivery.exhausted", subjectId: string, count = 5, at = Date.now()) {
  const w: IndexWrite = {
    kind: "issue",
    issue: kind,
    subjectId,
    count,
    ...(kind === "endpoint.failing" ? { threshold: 5 } : {}),
    detail: "HTTP 500",
    ref: null,
    at,
  };
  await env.DB.batch(indexStatements(env.DB, [w]));
  const row = await env.DB.prepare("SELECT id FROM issues WHERE subject_id = ?1 AND kind = ?2 ORDER BY id DESC").bind(subjectId, kind).first<{ id: string }>();
  return row!.id;
}

async function createAlertEndpoint(body: Record<string, unknown>, token?: string) {
  const res = await api.post("/v1/alert-endpoints", body, token);
  if (res.status === 201) cleanup.push(res.body.id);
  return res;
}

describe("alert endpoints", () => {
  it("are the operator's with the admin token and a customer's with its key; the secret is shown once and encrypted at rest", async () => {
    const c = await createCustomer();
    const op = await createAlertEndpoint({ url: "https://ops.example.com/alerts", description: "pager" });
    expect(op.status, op.text).toBe(201);
    expect(op.body).toMatchObject({ customer_id: null, url: "https://ops.example.com/alerts", description: "pager", kinds: null, last_success_at: null });
    expect(op.body.receives).toContain("source.silent");
    expect(op.body.secret).toMatch(/^whsec_/);
    const mine = await createAlertEndpoint({ url: "https://acme.example.com/alerts" }, c.api_key);
    expect(mine.status).toBe(201);
    expect(mine.body.customer_id).toBe(c.id);
    expect(mine.body.receives).toEqual(["endpoint.failing", "endpoint.disabled", "delivery.exhausted"]);
    // The admin may create one for a customer too.
    const forC = await createAlertEndpoint({ url: "https://acme.example.com/alerts2", customer_id: c.id, kinds: ["delivery.exhausted"] });
    expect(forC.body).toMatchObject({ customer_id: c.id, kinds: ["delivery.exhausted"], receives: ["delivery.exhausted"] });

    for (const res of [await api.get(`/v1/alert-endpoints/${op.body.id}`), await api.get("/v1/alert-endpoints")]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(op.body.secret);
      expect(res.text).not.toContain("secret");
    }
    const row = await env.DB.prepare("SELECT secret_enc FROM alert_endpoints WHERE id = ?").bind(op.body.id).first<{ secret_enc: string }>();
    expect(row!.secret_enc).not.toContain(op.body.secret.slice(6));
  });

  it("refuse what is not allowed with a clear error, and change nothing", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM alert_endpoints").first<{ n: number }>())!.n;
    const before = await count();
    const cases: [Record<string, unknown>, string | undefined, number, string, string?][] = [
      [{ url: "https://a.example.com", kinds: ["source.silent"] }, a.api_key, 422, "validation_failed", "kinds"],
      [{ url: "https://a.example.com", customer_id: a.id, kinds: ["receipt.failed", "endpoint.failing"] }, undefined, 422, "validation_failed", "kinds"],
      [{ url: "https://a.example.com", kinds: ["no.such.kind"] }, undefined, 422, "validation_failed", "kinds.0"],
      [{ url: "https://a.example.com", kinds: ["endpoint.failing", "endpoint.failing"] }, undefined, 422, "validation_failed", "kinds"],
      [{ url: "http://10.0.0.1/alerts" }, undefined, 422, "validation_failed", "url"],
      [{ url: "http://relay.test/alerts" }, undefined, 422, "validation_failed", "url"],
      [{ url: "not a url" }, undefined, 422, "validation_failed", "url"],
      [{ url: "https://a.example.com", secret: "whsec_mine" }, undefined, 422, "validation_failed"],
      [{ url: "https://a.example.com", customer_id: a.id }, b.api_key, 404, "not_found"],
      [{ url: "https://a.example.com", customer_id: "cus_00000000000000000000000000" }, undefined, 404, "not_found"],
    ];
    for (const [body, token, status, code, path] of cases) {
      const res = await request("POST", "/v1/alert-endpoints", { body, token });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(10);
      if (path) expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect(await count()).toBe(before);
  });

  it("are capped per owner", async () => {
    const c = await createCustomer();
    for (let i = 0; i < 10; i++) expect((await createAlertEndpoint({ url: `https://a.example.com/${i}` }, c.api_key)).status).toBe(201);
    const res = await createAlertEndpoint({ url: "https://a.example.com/11" }, c.api_key);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("limit_reached");
    expect((await api.get(`/v1/alert-endpoints?customer_id=${c.id}&limit=200`)).body.data).toHaveLength(10);
  });

  it("are seen and removed only by their owner (the operator sees every one)", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const op = await createAlertEndpoint({ url: "https://ops.example.com/x" });
    const ofA = await createAlertEndpoint({ url: "https://a.example.com/x" }, a.api_key);
    for (const id of [op.body.id, ofA.body.id]) {
      expect((await api.get(`/v1/alert-endpoints/${id}`, b.api_key)).status).toBe(404);
      expect((await api.delete(`/v1/alert-endpoints/${id}`, b.api_key)).status).toBe(404);
    }
    expect((await api.get(`/v1/alert-endpoints/${op.body.id}`, a.api_key)).status).toBe(404);
    const listA = (await api.get("/v1/alert-endpoints", a.api_key)).body.data.map((e: { id: string }) => e.id);
    expect(listA).toEqual([ofA.body.id]);
    expect((await api.get("/v1/alert-endpoints", b.api_key)).body.data).toEqual([]);
    expect((await api.get(`/v1/alert-endpoints?customer_id=${a.id}`, b.api_key)).status).toBe(404);
    const all = (await api.get("/v1/alert-endpoints?limit=200")).body.data.map((e: { id: string }) => e.id);
    expect(all).toEqual(expect.arrayContaining([op.body.id, ofA.body.id]));
    // A customer with an alert endpoint is not deleted under it.
    expect((await api.delete(`/v1/customers/${a.id}`)).status).toBe(409);
    expect((await api.delete(`/v1/alert-endpoints/${ofA.body.id}`, a.api_key)).body).toEqual({ id: ofA.body.id, deleted: true });
    expect((await api.get(`/v1/alert-endpoints/${ofA.body.id}`)).status).toBe(404);
    expect((await api.delete(`/v1/customers/${a.id}`)).status).toBe(200);
  });
});

describe("issues", () => {
  it("list by status, kind and customer, newest first and paged; a customer key sees only its own", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const ep = await createEndpoint(a.id);
    const src = await createSource(a.id);
    const epB = await createEndpoint(b.id);
    // Ids are time-sorted: one millisecond apart at least, so newest first is well defined.
    const t = Date.now();
    const failing = await seen("endpoint.failing", ep.id, 5, t);
    const silent = await seen("source.silent", src.id, 1, t + 1);
    const theirs = await seen("endpoint.failing", epB.id, 5, t + 2);
    // A streak below the threshold is not an issue.
    const ep2 = await createEndpoint(a.id);
    await seen("endpoint.failing", ep2.id, 2);

    const ids = async (q: string, token?: string) => (await api.get(`/v1/issues?${q}`, token)).body.data.map((i: { id: string }) => i.id);
    expect(await ids(`customer_id=${a.id}`)).toEqual([silent, failing]);
    expect(await ids(`customer_id=${a.id}&kind=source.silent`)).toEqual([silent]);
    expect(await ids(`customer_id=${a.id}&status=resolved`)).toEqual([]);
    expect(await ids("", a.api_key)).toEqual([silent, failing]);
    expect(await ids("", b.api_key)).toEqual([theirs]);
    expect((await api.get(`/v1/issues?customer_id=${a.id}`, b.api_key)).status).toBe(404);
    const page1 = (await api.get(`/v1/issues?customer_id=${a.id}&limit=1`)).body;
    expect(page1.data.map((i: { id: string }) => i.id)).toEqual([silent]);
    expect((await api.get(`/v1/issues?customer_id=${a.id}&limit=1&cursor=${page1.next_cursor}`)).body).toMatchObject({
      data: [{ id: failing }],
      next_cursor: null,
    });
    const one = (await api.get(`/v1/issues/${failing}`, a.api_key)).body;
    expect(one).toMatchObject({
      id: failing,
      kind: "endpoint.failing",
      status: "open",
      count: 5,
      customer_id: a.id,
      subject: { type: "endpoint", id: ep.id },
      links: { subject: `/v1/endpoints/${ep.id}` },
    });
    expect((await api.get(`/v1/issues/${failing}`, b.api_key)).status).toBe(404);
    for (const q of ["status=pending", "kind=endpoint.broken", "customer_id=nope", "limit=0"]) {
      const res = await api.get(`/v1/issues?${q}`);
      expect(res.status, q).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
    }
  });

  it("are acknowledged and resolved by the operator; each request says what it changed or why not", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    const id = await seen("endpoint.failing", ep.id);
    expect((await api.patch(`/v1/issues/${id}`, { status: "acknowledged" }, c.api_key)).status).toBe(403);
    for (const body of [{ status: "open" }, { status: "acknowledged", note: "x" }, {}]) {
      const res = await api.patch(`/v1/issues/${id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
    }
    expect((await api.patch("/v1/issues/iss_00000000000000000000000000", { status: "resolved" })).status).toBe(404);
    expect((await api.get(`/v1/issues/${id}`)).body.status).toBe("open");

    const ack = await api.patch(`/v1/issues/${id}`, { status: "acknowledged" });
    expect(ack.body).toMatchObject({ status: "acknowledged", resolved_at: null });
    expect(ack.body.acknowledged_at).not.toBeNull();
    expect((await api.patch(`/v1/issues/${id}`, { status: "acknowledged" })).body).toEqual(ack.body);
    // Still open to its condition: more failures count on it.
    await seen("endpoint.failing", ep.id, 3);
    expect((await api.get(`/v1/issues/${id}`)).body).toMatchObject({ status: "acknowledged", count: 8 });
    const resolved = await api.patch(`/v1/issues/${id}`, { status: "resolved" });
    expect(resolved.body).toMatchObject({ status: "resolved", resolved_by: "operator", resolution: "resolved by an operator" });
    expect((await api.patch(`/v1/issues/${id}`, { status: "resolved" })).body).toEqual(resolved.body);
    const conflict = await api.patch(`/v1/issues/${id}`, { status: "acknowledged" });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe("conflict");
    // The condition persists: a new issue opens.
    const next = await seen("endpoint.failing", ep.id, 5);
    expect(next).not.toBe(id);
    expect((await api.get(`/v1/issues/${next}`)).body.status).toBe("open");
  });
});
