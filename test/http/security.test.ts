/**
 * Checks run against every admin route listed in the generated OpenAPI document: a route added
 * later is covered by being documented. Authentication everywhere; tenant isolation everywhere.
 */
import { createExecutionContext, createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexStatements } from "../../src/db/index-writes";
import worker from "../../src/index";
import { api, request } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { eventually } from "../helpers/wait";

let net: Network;
beforeAll(() => {
  net = stubNetwork();
  net.on("https://hooks.example.com/", () => new Response("ok"));
});
afterAll(() => net.restore());

/** Every row of every D1 table: a refused request must leave it unchanged. */
async function dumpD1(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' ORDER BY name",
  ).all<{ name: string }>();
  const rows = await env.DB.batch(tables.results.map((t) => env.DB.prepare(`SELECT * FROM "${t.name}"`)));
  return JSON.stringify(rows.map((r) => r.results));
}

/**
 * Customer A with one of everything the API can name: a source, an endpoint, an event delivered
 * to it, a receipt that failed, an alert endpoint and an issue. `idsFor` gives each route A's ids.
 */
async function tenant() {
  const customer = await createCustomer();
  const source = await createSource(customer.id, "keldair");
  const endpoint = await createEndpoint(customer.id);
  const alerts = (await api.post("/v1/alert-endpoints", { url: "https://hooks.example.com/alerts-a" }, customer.api_key)).body as {
    id: string;
    url: string;
    secret: string;
  };
  const caseId = `tenant-${crypto.randomUUID()}`;
  const raw = JSON.stringify({ id: `evt-${caseId}`, type: "applicant.created", dateOccurred: "2026-11-01T10:00:00+00:00", data: { id: caseId } });
  const msgId = `msg_${crypto.randomUUID()}`;
  const at = new Date();
  const signed = {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(source.secrets.verify.secret).sign(msgId, at, raw),
  };
  expect((await request("POST", `/in/${source.id}`, { token: null, raw, headers: { "content-type": "application/json", ...signed } })).status).toBe(200);
  const { eventId, deliveryId } = await eventually(
    async () => {
      const v = (await api.get(`/v1/cases/${source.id}/${encodeURIComponent(caseId)}`)).body;
      const d = v.deliveries?.[0];
      return d?.status === "succeeded" && { eventId: v.events[0].id as string, deliveryId: d.id as string };
    },
    { message: "customer A's event delivered" },
  );
  // A receipt the pipeline gave up on, as the dead-letter queue hands it over.
  const receiptId = `rcv_${crypto.randomUUID().replace(/-/g, "").slice(0, 26).toUpperCase()}`;
  const dead = {
    kind: "receipt",
    id: receiptId,
    source_id: source.id,
    customer_id: customer.id,
    case_id: caseId,
    dedupe_key: `k-${caseId}`,
    subject: "case",
    provider_event_id: null,
    event_type: "applicant.updated",
    version: null,
    received_at: Date.now(),
    body_sha256: "0".repeat(64),
    body: "{}",
  };
  await worker.queue!(
    createMessageBatch("caserelay-inbox-dlq", [{ id: "dl", timestamp: new Date(), attempts: 1, body: dead }]) as MessageBatch<never>,
    env,
    createExecutionContext(),
  );
  await eventually(async () => (await env.DB.prepare("SELECT 1 FROM failed_receipts WHERE id = ?").bind(receiptId).first()) !== null, {
    message: "the failed receipt indexed",
  });
  await env.DB.batch(
    indexStatements(env.DB, [
      { kind: "issue", issue: "endpoint.failing", subjectId: endpoint.id, count: 5, threshold: 5, detail: "HTTP 500", ref: null, at: Date.now() },
    ]),
  );
  const issueId = (await env.DB.prepare("SELECT id FROM issues WHERE subject_id = ?").bind(endpoint.id).first<{ id: string }>())!.id;
  const byKind: Record<string, string> = {
    customers: customer.id,
    sources: source.id,
    endpoints: endpoint.id,
    events: eventId,
    deliveries: deliveryId,
    receipts: receiptId,
    issues: issueId,
    "alert-endpoints": alerts.id,
  };
  const idsFor = (path: string): Record<string, string> => {
    const kind = path.split("/")[2]!;
    if (!path.includes("{id}")) return { source_id: source.id, case_id: encodeURIComponent(caseId) };
    const id = byKind[kind];
    if (!id) throw new Error(`${path}: give tenant() one ${kind} of customer A to check this route on`);
    return { id, source_id: source.id, case_id: encodeURIComponent(caseId) };
  };
  return { customer, source, endpoint, alerts, caseId, eventId, deliveryId, receiptId, issueId, idsFor };
}

/** A body each route would accept from A, so that only ownership can refuse it. */
function bodyFor(path: string, a: Awaited<ReturnType<typeof tenant>>, bEndpointId: string): unknown {
  const bodies: Record<string, unknown> = {
    "/v1/customers": { name: "b-made" },
    "/v1/customers/{id}": { name: "b-renamed" },
    "/v1/sources": { customer_id: a.customer.id, provider: "keldair", name: "b-made", config: { verify: { secret: a.source.secrets.verify.secret } } },
    "/v1/sources/{id}": { name: "b-renamed" },
    "/v1/endpoints": { customer_id: a.customer.id, url: "https://hooks.example.com/b-made" },
    "/v1/endpoints/{id}": { status: "paused" },
    "/v1/endpoints/{id}/recover": { since: "2020-01-01T00:00:00Z" },
    "/v1/events/{id}/replay": { endpoint_id: bEndpointId },
    "/v1/alert-endpoints": { customer_id: a.customer.id, url: "https://hooks.example.com/b-alerts" },
    "/v1/issues/{id}": { status: "resolved" },
  };
  return bodies[path] ?? {};
}

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

  it("keeps every route of the OpenAPI document away from another customer's data, changing nothing", { timeout: 60_000 }, async () => {
    const a = await tenant();
    const b = await createCustomer();
    const bEndpoint = await createEndpoint(b.id, { url: "https://hooks.example.com/b" });
    /** What of A's may never reach B: names, secrets, URLs and payload text (ids B sent may be echoed in a 404). */
    const aMarkers = [a.customer.name, a.source.secrets.verify.secret, a.endpoint.url, a.endpoint.secret, a.alerts.url, a.alerts.secret, `evt-${a.caseId}`];
    const checked: string[] = [];
    for (const op of await operations()) {
      const label = `${op.method} ${op.path} with customer B's key on A's ids`;
      const path = fill(op.path, a.idsFor(op.path));
      const body = op.method === "GET" || op.method === "DELETE" ? undefined : bodyFor(op.path, a, bEndpoint.id);
      const before = await dumpD1();
      const res = await request(op.method, path, { body, token: b.api_key });
      if (op.method === "GET" && !op.path.includes("{")) {
        // A list without a filter: only B's own rows.
        expect(res.status, label).toBe(200);
      } else if (op.method === "POST" && op.path === "/v1/customers") {
        expect(res.status, label).toBe(403);
      } else {
        expect([403, 404], `${label}: ${res.status} ${res.text}`).toContain(res.status);
      }
      for (const m of aMarkers) expect(res.text, label).not.toContain(m);
      expect(await dumpD1(), `${label}: changed D1`).toBe(before);
      checked.push(`${op.method} ${op.path}`);
    }
    expect(checked.length).toBeGreaterThanOrEqual(25);
    // Filters naming A's things.
    for (const path of [`/v1/sources?customer_id=${a.customer.id}`, `/v1/endpoints?customer_id=${a.customer.id}`, `/v1/events?customer_id=${a.customer.id}`]) {
      expect((await request("GET", path, { token: b.api_key })).status, path).toBe(404);
    }
    for (const path of [`/v1/events?source_id=${a.source.id}`, `/v1/events?source_id=${a.source.id}&case_id=${a.caseId}`]) {
      const res = await request("GET", path, { token: b.api_key });
      expect(res.status === 404 || (res.status === 200 && res.body.data.length === 0), `${path}: ${res.text}`).toBe(true);
    }
    // B's endpoint can neither subscribe to A's source nor receive A's replay, even by the operator.
    expect(
      (
        await request("POST", "/v1/endpoints", {
          token: b.api_key,
          body: { customer_id: b.id, url: "https://hooks.example.com/b2", filter: { source_ids: [a.source.id] } },
        })
      ).status,
    ).toBe(422);
    expect((await api.post(`/v1/events/${a.eventId}/replay`, { endpoint_id: bEndpoint.id })).status).toBe(404);
    // And A's things are all still there.
    expect((await api.get(`/v1/sources/${a.source.id}`)).status).toBe(200);
    expect((await api.get(`/v1/endpoints/${a.endpoint.id}`)).status).toBe(200);
    expect((await api.get(`/v1/events/${a.eventId}`)).status).toBe(200);
  });

  it("serves /healthz without a token and answers unknown routes with the error envelope", async () => {
    expect((await api.get("/healthz", null)).status).toBe(200);
    const res = await api.get("/nope", null);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});
