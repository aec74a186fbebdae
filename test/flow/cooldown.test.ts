/**
 * 429, 502 and 504 (Standard Webhooks' throttle signals) slow an endpoint down by themselves, rate
 * limit or not: every case object defers its attempts to that endpoint until the cooldown ends,
 * honouring Retry-After within bounds, and no other endpoint is slowed.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Attempt } from "../../src/domain";
import { COOLDOWN_DEFAULT_MS, COOLDOWN_MAX_MS, COOLDOWN_MIN_MS, COOLDOWN_SPREAD_MS, cooldownAfter } from "../../src/flow/cooldown";
import type { SendResult } from "../../src/pipeline/send";
import { api } from "../helpers/api";
import { runAlarm, storedDeliveries } from "../helpers/cases";
import { createEndpoint } from "../helpers/factories";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay, receiver } from "../helpers/relay";
import { eventually } from "../helpers/wait";

const AT = Date.parse("2026-11-22T10:00:00.000Z");
const answered = (status: number | null, retryAfterSeconds: number | null = null): SendResult => ({
  attempt: {
    id: "att_1",
    at: new Date(AT).toISOString(),
    status_code: status,
    duration_ms: 200,
    response_excerpt: null,
    error_kind: status === null ? "timeout" : "http",
    flagged: false,
  } satisfies Attempt,
  outcome: status !== null && status < 300 ? "succeeded" : "retry",
  retryAfterSeconds,
});

describe("cooldownAfter", () => {
  it("cools down after 429, 502 and 504 only, from the answer's time", () => {
    for (const s of [429, 502, 504]) expect(cooldownAfter(answered(s)), String(s)).toBe(AT + 200 + COOLDOWN_DEFAULT_MS);
    for (const s of [200, 400, 410, 500, 503, null]) expect(cooldownAfter(answered(s)), String(s)).toBeNull();
  });

  it("honours Retry-After within bounds", () => {
    expect(cooldownAfter(answered(429, 30))).toBe(AT + 200 + 30_000);
    expect(cooldownAfter(answered(429, 0))).toBe(AT + 200 + COOLDOWN_MIN_MS);
    expect(cooldownAfter(answered(502, 86_400))).toBe(AT + 200 + COOLDOWN_MAX_MS);
  });
});

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

describe("throttle answers", () => {
  it("a 429 with Retry-After slows only that endpoint, in every case object, without counting as attempts", async () => {
    const r = await karmacheckRelay(net);
    const slow = await createEndpoint(r.customer.id, { url: "https://slow.example.com/hook" });
    const hook = receiver(net, slow.url, () => slow.secret);
    hook.respond((n) => (n === 1 ? new Response("slow down", { status: 429, headers: { "retry-after": "30" } }) : new Response("ok")));
    const cases = ["c-1", "c-2", "c-3", "c-4"];
    for (const id of cases) r.api.set(id, "Pending", null, "2024-05-25T19:00:00.000Z");
    // One case first: its attempt gets the 429.
    await r.send(kcCaseEvent("c-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => hook.got.length === 1 && r.hook.forCase("c-1").length === 1, { message: "first deliveries" });
    const ep = await eventually(
      async () => {
        const e = (await api.get(`/v1/endpoints/${slow.id}`)).body;
        return e.throttled_until && e;
      },
      { message: "the cooldown recorded" },
    );
    const until = Date.parse(ep.throttled_until);
    expect(until - Date.now()).toBeGreaterThan(25_000);
    expect(until - Date.now()).toBeLessThanOrEqual(30_500);
    expect((await api.get(`/v1/endpoints/${r.endpoint.id}`)).body.throttled_until).toBeNull();

    // The other cases' objects defer their attempts to it; the other endpoint gets everything at once.
    for (const id of cases.slice(1)) await r.send(kcCaseEvent(id, "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => cases.every((id) => r.hook.forCase(id).length === 1), { message: "the other endpoint served" });
    for (const id of cases.slice(1)) {
      const d = await eventually(async () => (await storedDeliveries(r.source.id, id)).find((x) => x.endpoint_id === slow.id && x.deferred === "cooldown"), {
        message: `${id} deferred`,
      });
      expect(d).toMatchObject({ status: "pending", attempts: [] });
      const wait = Date.parse(d.next_attempt_at!) - until;
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(COOLDOWN_SPREAD_MS);
    }
    expect(hook.got).toHaveLength(1);
    // The API says why it waits: neither an attempt nor a failure.
    const deferredView = (await api.get(`/v1/cases/${r.source.id}/c-2`)).body.deliveries.find((d: { endpoint_id: string }) => d.endpoint_id === slow.id);
    expect(deferredView).toMatchObject({ status: "pending", deferred: "cooldown", attempt_count: 0 });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ?").bind(slow.id).first<{ n: number }>()).toEqual({ n: 1 });

    // Once the cooldown is over (made so here), the deferred deliveries go out and the retry succeeds.
    for (const id of cases) await runAlarm(r.source.id, id, { due: true });
    await eventually(() => hook.got.length === 5, { message: "deferred deliveries sent after the cooldown" });
    for (const id of cases) expect((await storedDeliveries(r.source.id, id)).find((x) => x.endpoint_id === slow.id)).toMatchObject({ status: "succeeded" });
  });

  it("a 502 or 504 without Retry-After cools the endpoint down for a few seconds", async () => {
    const r = await karmacheckRelay(net);
    r.hook.respond(() => new Response("bad gateway", { status: 502 }));
    r.api.set("c-1", "Pending", null, "2024-05-25T19:00:00.000Z");
    await r.send(kcCaseEvent("c-1", "2024-05-25T19:00:00.000Z", "Pending", null));
    const ep = await eventually(
      async () => {
        const e = (await api.get(`/v1/endpoints/${r.endpoint.id}`)).body;
        return e.throttled_until && e;
      },
      { message: "the cooldown recorded" },
    );
    expect(Date.parse(ep.throttled_until) - Date.now()).toBeLessThanOrEqual(COOLDOWN_DEFAULT_MS);
    // The failed attempt itself is retried on its schedule, as any 5xx.
    const [d] = await storedDeliveries(r.source.id, "c-1");
    expect(d).toMatchObject({ status: "retrying", attempts: [{ status_code: 502 }] });
  });
});
