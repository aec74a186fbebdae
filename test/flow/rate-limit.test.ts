/**
 * An endpoint's rate_limit, end to end: every case object asks the endpoint's limiter before an
 * attempt; attempts beyond the limit wait (deferred, not failed) and per-case order holds, for
 * new events, a replay and a recover alike. The limit is checked on the limiter's grant times
 * (its own clock), not on how long the test took.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { limiterStub } from "../../src/flow/client";
import { api } from "../helpers/api";
import { markFailed, storedDeliveries } from "../helpers/cases";
import { createCustomer, createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const grantsOf = async (endpointId: string) => (await limiterStub(env, endpointId).snapshot()).recentGrants;

/** Grants never come faster than `perSecond` on average, and no second holds more than the limit plus the bucket (2). */
function expectHeld(times: number[], perSecond: number) {
  const t = [...times].sort((a, b) => a - b);
  const span = (t.at(-1)! - t[0]!) / 1000;
  expect((t.length - 1) / span, "average rate").toBeLessThanOrEqual(perSecond * 1.1);
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= 1000) j++;
    expect(i - j + 1, "grants within one second").toBeLessThanOrEqual(Math.ceil(perSecond) + 2);
  }
}

describe("rate_limit", () => {
  it("is set on create and PATCH, shown in the view, removed with null; bad values change nothing", async () => {
    const c = await createCustomer();
    const ep = await createEndpoint(c.id, { rate_limit: { per_second: 10, max_in_flight: 3 } });
    expect(ep.rate_limit).toEqual({ per_second: 10, max_in_flight: 3 });
    expect((await api.get(`/v1/endpoints/${ep.id}`)).body.rate_limit).toEqual({ per_second: 10, max_in_flight: 3 });
    expect((await api.patch(`/v1/endpoints/${ep.id}`, { rate_limit: { per_second: 0.5 } })).body.rate_limit).toEqual({ per_second: 0.5 });
    for (const bad of [
      {},
      { per_second: 0 },
      { per_second: 0.05 },
      { per_second: 1001 },
      { max_in_flight: 0 },
      { max_in_flight: 2.5 },
      { max_in_flight: 5000 },
      { per_second: "10" },
      { burst: 5 },
    ]) {
      const res = await api.patch(`/v1/endpoints/${ep.id}`, { rate_limit: bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.message).toContain("rate_limit");
    }
    expect((await api.get(`/v1/endpoints/${ep.id}`)).body.rate_limit).toEqual({ per_second: 0.5 });
    expect((await api.patch(`/v1/endpoints/${ep.id}`, { rate_limit: null })).body.rate_limit).toBeNull();
    expect((await api.post("/v1/endpoints", { customer_id: c.id, url: "https://x.example.com/h", rate_limit: { per_second: -1 } })).status).toBe(422);
    expect((await createEndpoint(c.id)).rate_limit).toBeNull();
  });

  it("holds across the case objects delivering to the endpoint, and keeps each case's order", async () => {
    const r = await karmacheckRelay(net);
    const perSecond = 20;
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { rate_limit: { per_second: perSecond }, status: "paused" });
    const cases = Array.from({ length: 10 }, (_, i) => `rl-${i}`);
    const steps = [
      ["Pending", "Waiting for Authorization", "2024-05-25T19:00:00.000Z"],
      ["Pending", "Reviewing Order", "2024-05-25T19:05:00.000Z"],
      ["Complete", null, "2024-05-25T19:10:00.000Z"],
    ] as const;
    // Three events per case while the endpoint is paused, then a resume: every case has three due at once.
    for (const [n, [primary, secondary, at]] of steps.entries()) {
      for (const id of cases) r.api.set(id, primary, secondary, at);
      await Promise.all(cases.map((id) => r.send(kcCaseEvent(id, at, primary, secondary))));
      await eventually(async () => (await Promise.all(cases.map((id) => storedDeliveries(r.source.id, id)))).every((ds) => ds.length === n + 1), {
        message: `events of step ${n + 1}`,
      });
    }
    expect(r.hook.got).toHaveLength(0);
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "active" });
    await eventually(() => r.hook.got.length === cases.length * steps.length, { timeout: 20_000, message: "every event delivered" });
    for (const id of cases) {
      expect(
        r.hook.forCase(id).map((g) => g.body.data.sequence),
        id,
      ).toEqual([1, 2, 3]);
      // Nothing superseded, failed or retried: a wait is neither an attempt nor a failure.
      for (const d of await storedDeliveries(r.source.id, id)) {
        expect(d, id).toMatchObject({ status: "succeeded", attempts: [expect.objectContaining({ status_code: 200 })] });
        expect(d.deferred, id).toBeUndefined();
      }
    }
    const grants = await grantsOf(r.endpoint.id);
    expect(grants).toHaveLength(cases.length * steps.length);
    expectHeld(grants, perSecond);
  });

  it("makes a recover and a replay of many events reach the endpoint at the configured rate", async () => {
    const r = await karmacheckRelay(net);
    const cases = Array.from({ length: 16 }, (_, i) => `rec-${i}`);
    for (const id of cases) r.api.set(id, "Pending", null, "2024-05-25T19:00:00.000Z");
    await Promise.all(cases.map((id) => r.send(kcCaseEvent(id, "2024-05-25T19:00:00.000Z", "Pending", null))));
    await eventually(() => r.hook.got.length === cases.length, { message: "first deliveries, without a limit" });
    // No limit so far: the limiter was never asked.
    expect(await grantsOf(r.endpoint.id)).toEqual([]);

    // As if the endpoint had been down through every retry: all failed. It comes back rate-limited.
    const perSecond = 25;
    for (const id of cases) await markFailed(r.source.id, id, r.customer.id, r.endpoint.id);
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { rate_limit: { per_second: perSecond } });
    const recovered = await api.post(`/v1/endpoints/${r.endpoint.id}/recover`, { since: new Date(Date.now() - 3_600_000).toISOString() });
    expect(recovered.body).toEqual({ requeued: cases.length });
    await eventually(() => r.hook.got.length === 2 * cases.length, { timeout: 20_000, message: "every failed delivery sent again" });
    const afterRecover = await grantsOf(r.endpoint.id);
    expect(afterRecover).toHaveLength(cases.length);
    expectHeld(afterRecover, perSecond);

    // An operator's replay of every event, all at once: the same limit.
    const ids = r.hook.got.slice(0, cases.length).map((g) => g.id);
    const replays = await Promise.all(ids.map((id) => api.post(`/v1/events/${id}/replay`, { endpoint_id: r.endpoint.id })));
    expect(replays.every((res) => res.status === 202)).toBe(true);
    await eventually(() => r.hook.got.length === 3 * cases.length, { timeout: 20_000, message: "every replay sent" });
    expect(r.hook.got.slice(-cases.length).every((g) => g.body.data.trigger.kind === "replay" && g.verified)).toBe(true);
    const all = await grantsOf(r.endpoint.id);
    expect(all).toHaveLength(2 * cases.length);
    expectHeld(all.slice(cases.length), perSecond);
  });

  it("limits attempts in flight at once", async () => {
    const r = await karmacheckRelay(net);
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { rate_limit: { max_in_flight: 2 } });
    const load = { now: 0, most: 0 };
    r.hook.respond(async () => {
      load.most = Math.max(load.most, ++load.now);
      // A slow receiver, so attempts overlap as far as the limit lets them.
      await new Promise((resolve) => setTimeout(resolve, 150));
      load.now--;
      return new Response("ok");
    });
    const cases = Array.from({ length: 6 }, (_, i) => `inf-${i}`);
    for (const id of cases) r.api.set(id, "Pending", null, "2024-05-25T19:00:00.000Z");
    await Promise.all(cases.map((id) => r.send(kcCaseEvent(id, "2024-05-25T19:00:00.000Z", "Pending", null))));
    await eventually(
      async () =>
        (await Promise.all(cases.map((id) => storedDeliveries(r.source.id, id)))).flat().filter((d) => d.status === "succeeded").length === cases.length,
      { timeout: 20_000, message: "all succeeded" },
    );
    expect(load.most).toBeLessThanOrEqual(2);
    expect(r.hook.got).toHaveLength(cases.length);
    expect((await limiterStub(env, r.endpoint.id).snapshot()).leases).toBe(0);
  });
});
