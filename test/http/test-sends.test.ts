/**
 * Test sends: POST /v1/endpoints/{id}/test sends a signed example event and answers with the
 * attempt; it is recorded as an attempt of the endpoint and nowhere as an event.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ATTEMPTS_KEPT } from "../../src/services/test-sends";
import { api } from "../helpers/api";
import { caseObject } from "../../src/case/client";
import { createCustomer, createEndpoint } from "../helpers/factories";
import { indexCount } from "../helpers/index-dbs";
import { stubNetwork, type Network } from "../helpers/net";
import { receiver } from "../helpers/relay";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

describe("test sends", () => {
  it("send a signed example event and answer with the attempt", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id, { signature_schemes: ["v1", "v1a"] });
    const hook = receiver(net, ep.url, () => ep.secret, { publicKeys: () => [ep.public_key!] });
    hook.respond(() => new Response("thanks, got it", { status: 200 }));
    const res = await api.post(`/v1/endpoints/${ep.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^att_/),
      outcome: "succeeded",
      status_code: 200,
      response_excerpt: "thanks, got it",
      error_kind: null,
      type: "case.updated",
    });
    expect(res.body.duration_ms).toBeGreaterThanOrEqual(0);
    const [got] = hook.got;
    expect(hook.got).toHaveLength(1);
    expect(got!.verified).toBe(true);
    expect(got!.verifiedV1a).toBe(true);
    expect(got!.catalogProblem).toBeNull();
    expect(got!.body).toEqual(res.body.event);
    expect(got!.body.data).toMatchObject({ sequence: 0, trigger: { kind: "test" }, event_id: res.body.event_id });
    expect(got!.id).toBe(res.body.event_id);
    expect(() =>
      new Webhook(ep.secret).verify(got!.raw, { "webhook-id": got!.id, "webhook-timestamp": got!.timestamp, "webhook-signature": got!.signature }),
    ).not.toThrow();
  });

  it("are recorded as attempts of the endpoint and nowhere as events", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id, { filter: { types: ["case.completed"] } });
    const hook = receiver(net, ep.url, () => ep.secret);
    hook.respond(() => new Response("nope", { status: 500 }));
    const first = await api.post(`/v1/endpoints/${ep.id}/test`);
    // The filter's first type by default; any type when asked.
    expect(first.body).toMatchObject({ type: "case.completed", outcome: "failed", status_code: 500, error_kind: "http", response_excerpt: "nope" });
    hook.respond(() => {
      throw new TypeError("connection refused");
    });
    const second = await api.post(`/v1/endpoints/${ep.id}/test`, { type: "check.updated" });
    expect(second.body).toMatchObject({ type: "check.updated", outcome: "failed", status_code: null, error_kind: "connect" });
    expect(second.body.event.data.check).toMatchObject({ id: expect.any(String) });

    const list = await api.get(`/v1/endpoints/${ep.id}/tests`);
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([second.body.id, first.body.id]);
    expect(list.body.data[1]).toMatchObject({
      event_id: first.body.event_id,
      type: "case.completed",
      status_code: 500,
      outcome: "failed",
      response_excerpt: "nope",
    });

    // No event anywhere: not in the index, not in the API, no case object, no delivery.
    for (const t of [first.body, second.body]) {
      expect(await indexCount("SELECT COUNT(*) AS n FROM events WHERE id = ?", t.event_id)).toBe(0);
      expect((await api.get(`/v1/events/${t.event_id}`)).status).toBe(404);
      const { source_id, case_id } = t.event.data;
      expect((await caseObject(env, { sourceId: source_id, caseId: case_id }).trail()).exists).toBe(false);
    }
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ?").bind(ep.id).first()).toEqual({ n: 0 });
    expect((await api.get(`/v1/events?customer_id=${c.id}`)).body.data).toEqual([]);
    // Nor do they touch the endpoint's health or status.
    expect((await api.get(`/v1/endpoints/${ep.id}`)).body).toMatchObject({ status: "active", failing_since: null, throttled_until: null });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoint_hours WHERE endpoint_id = ?").bind(ep.id).first()).toEqual({ n: 0 });
  });

  it("keep the newest few, and go with their endpoint", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    receiver(net, ep.url, () => ep.secret);
    const ids: string[] = [];
    for (let i = 0; i < TEST_ATTEMPTS_KEPT + 2; i++) ids.push((await api.post(`/v1/endpoints/${ep.id}/test`)).body.id);
    const kept = (await api.get(`/v1/endpoints/${ep.id}/tests`)).body.data.map((t: { id: string }) => t.id);
    expect(kept).toEqual(ids.slice(-TEST_ATTEMPTS_KEPT).reverse());
    await api.delete(`/v1/endpoints/${ep.id}`);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoint_tests WHERE endpoint_id = ?").bind(ep.id).first()).toEqual({ n: 0 });
  });

  it("go out to a paused endpoint too, and leave it paused; a 410 does not disable it", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id);
    const hook = receiver(net, ep.url, () => ep.secret);
    hook.respond(() => new Response("gone", { status: 410 }));
    await api.patch(`/v1/endpoints/${ep.id}`, { status: "paused" });
    expect((await api.post(`/v1/endpoints/${ep.id}/test`)).body).toMatchObject({ status_code: 410, outcome: "failed" });
    expect((await api.get(`/v1/endpoints/${ep.id}`)).body.status).toBe("paused");
  });

  it("refuse bad input and other customers' endpoints, recording nothing", async () => {
    const a = await createCustomer();
    const b = await createCustomer();
    const ep = await createEndpoint(a.id);
    receiver(net, ep.url, () => ep.secret);
    const bad = await api.post(`/v1/endpoints/${ep.id}/test`, { type: "case.nope" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("validation_failed");
    expect((await api.post(`/v1/endpoints/${ep.id}/test`, { type: "case.updated", extra: 1 })).status).toBe(422);
    expect((await api.post(`/v1/endpoints/${ep.id}/test`, undefined, b.api_key)).status).toBe(404);
    expect((await api.get(`/v1/endpoints/${ep.id}/tests`, b.api_key)).status).toBe(404);
    expect((await api.post("/v1/endpoints/ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6/test")).status).toBe(404);
    expect((await api.post(`/v1/endpoints/${ep.id}/test`, undefined, null)).status).toBe(401);
    expect(net.callsTo(ep.url)).toHaveLength(0);
    expect((await api.get(`/v1/endpoints/${ep.id}/tests`)).body.data).toEqual([]);
    // The customer's own key may.
    expect((await api.post(`/v1/endpoints/${ep.id}/test`, undefined, a.api_key)).status).toBe(200);
  });
});
