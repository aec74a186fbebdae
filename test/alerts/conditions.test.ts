/**
 * Each condition opens exactly one issue for its subject, however often it is seen, and resolves
 * it when the condition clears (src/alerts/kinds.ts), detected where the relay already learns it.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { runAlarm, storedDeliveries } from "../helpers/cases";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";
import { issuesOf } from "./helpers";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const stamp = (m: number) => new Date(Date.UTC(2024, 4, 25, 19, m)).toISOString();

describe("endpoint.failing", () => {
  it("opens after 5 failed attempts in a row, once, and resolves on the next success", async () => {
    const r = await karmacheckRelay(net);
    r.api.set("ef-1", "Pending", null, stamp(0));
    r.hook.respond(() => new Response("down", { status: 500 }));
    await r.send(kcCaseEvent("ef-1", stamp(0), "Pending", null));
    await eventually(async () => (await storedDeliveries(r.source.id, "ef-1"))[0]?.attempts.length === 1, { message: "first attempt" });
    for (let attempt = 2; attempt <= 4; attempt++) {
      await runAlarm(r.source.id, "ef-1", { due: true });
      await eventually(async () => (await storedDeliveries(r.source.id, "ef-1"))[0]?.attempts.length === attempt);
    }
    // Four failures: a streak, no issue yet.
    await eventually(async () => (await issuesOf(r.endpoint.id, "endpoint.failing"))[0]?.count === 4, { message: "a streak of 4" });
    expect((await issuesOf(r.endpoint.id, "endpoint.failing"))[0]!.status).toBe("pending");
    await runAlarm(r.source.id, "ef-1", { due: true });
    const [open] = await eventually(async () => {
      const rows = await issuesOf(r.endpoint.id, "endpoint.failing");
      return rows[0]?.status === "open" && rows;
    }, { message: "the issue open" });
    expect(open).toMatchObject({ count: 5, customer_id: r.customer.id, revision: 1 });
    // More failures count on the same issue.
    await runAlarm(r.source.id, "ef-1", { due: true });
    await eventually(async () => (await issuesOf(r.endpoint.id, "endpoint.failing"))[0]?.count === 6);
    expect(await issuesOf(r.endpoint.id, "endpoint.failing")).toHaveLength(1);
    r.hook.respond(() => new Response("ok"));
    await runAlarm(r.source.id, "ef-1", { due: true });
    const [resolved] = await eventually(async () => {
      const rows = await issuesOf(r.endpoint.id, "endpoint.failing");
      return rows[0]?.status === "resolved" && rows;
    }, { message: "resolved" });
    expect(resolved).toMatchObject({ id: open!.id, resolved_by: "relay", open_key: null, revision: 2 });
    expect(await issuesOf(r.endpoint.id, "endpoint.failing")).toHaveLength(1);
  });
});
