/**
 * Resuming an endpoint releases every held delivery and recover sends every failed one, however
 * many: the request starts a pass, each cron run does another (bounded), until none is left,
 * including deliveries held while a pass ran.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { releaseAndRecover } from "../../src/services/fanout";
import type { Delivery } from "../../src/domain";
import { api } from "../helpers/api";
import { caseStub, storedDeliveries } from "../helpers/cases";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

const heldRows = (endpointId: string) =>
  env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ?1 AND status = 'held'")
    .bind(endpointId)
    .first<{ n: number }>()
    .then((r) => r!.n);

describe("held deliveries", () => {
  it("are all released, however many passes it takes, and one held while a pass ran goes too", async () => {
    const r = await karmacheckRelay(net);
    await api.patch(`/v1/endpoints/${r.endpoint.id}`, { status: "paused" });
    const ids = Array.from({ length: 12 }, (_, i) => `held-${i}`);
    for (const id of ids) {
      r.api.set(id, "Pending", null, "2024-05-25T19:00:00.000Z");
      await r.send(kcCaseEvent(id, "2024-05-25T19:00:00.000Z", "Pending", null));
    }
    await eventually(async () => (await heldRows(r.endpoint.id)) === 12, { message: "twelve held" });
    expect(r.hook.got).toHaveLength(0);
    // Resumed with the background pass lost (as if the request's isolate went away): the cron does it all,
    // five index rows a run here, so it takes several runs.
    // (Written to D1 directly: every isolate's cached copy still says paused; a release reads it afresh.)
    await env.DB.prepare("UPDATE endpoints SET status = 'active' WHERE id = ?").bind(r.endpoint.id).run();
    const runs: (number | undefined)[] = [];
    for (let i = 0; i < 5 && (await heldRows(r.endpoint.id)) > 0; i++) runs.push((await releaseAndRecover(env, { limit: 5 })).released);
    expect(runs.slice(0, 3)).toEqual([5, 5, 2]);
    await eventually(() => r.hook.got.length === 12, { message: "every held delivery sent" });
    expect(await heldRows(r.endpoint.id)).toBe(0);

    // An object that still saw the endpoint paused (its copy is cached for seconds) holds a delivery after the pass.
    const late = "held-late";
    r.api.set(late, "Pending", null, "2024-05-25T19:00:00.000Z");
    await r.send(kcCaseEvent(late, "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(() => r.hook.forCase(late).length === 1);
    await runInDurableObject(caseStub(r.source.id, late), (_o, state) => {
      const row = state.storage.sql.exec("SELECT n, deliveries, event_id, sequence FROM receipts WHERE sequence IS NOT NULL").one() as {
        n: number;
        deliveries: string;
        event_id: string;
        sequence: number;
      };
      const held = (JSON.parse(row.deliveries) as Delivery[]).map((d) => ({
        ...d,
        id: `${d.id.slice(0, -1)}Z`,
        status: "held" as const,
        attempts: [],
        next_attempt_at: null,
      }));
      state.storage.sql.exec("UPDATE receipts SET deliveries = ? WHERE n = ?", JSON.stringify([...JSON.parse(row.deliveries), ...held]), row.n);
    });
    const heldId = (await storedDeliveries(r.source.id, late)).find((d) => d.status === "held")!.id;
    await env.DB.prepare(
      "INSERT INTO deliveries (id, customer_id, endpoint_id, source_id, case_id, event_id, sequence, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'evt_x', 1, 'held', 0, 0)",
    )
      .bind(heldId, r.customer.id, r.endpoint.id, r.source.id, late)
      .run();
    expect((await releaseAndRecover(env)).released).toBe(1);
    await eventually(() => r.hook.forCase(late).length === 2, { message: "the late one sent" });
    expect(await heldRows(r.endpoint.id)).toBe(0);
  });
});

describe("recovering deliveries", () => {
  it("that their case no longer knows leave the index instead of waiting for ever", async () => {
    const r = await karmacheckRelay(net);
    await env.DB.prepare(
      "INSERT INTO deliveries (id, customer_id, endpoint_id, source_id, case_id, event_id, sequence, status, created_at, updated_at) VALUES ('dlv_01JD00000000000000000000GONE01', ?1, ?2, ?3, 'forgotten', 'evt_01JD00000000000000000000GONE', 1, 'recovering', 0, 0)",
    )
      .bind(r.customer.id, r.endpoint.id, r.source.id)
      .run();
    expect(await releaseAndRecover(env, { endpointId: r.endpoint.id })).toMatchObject({ unknown: 1 });
    expect(await env.DB.prepare("SELECT 1 FROM deliveries WHERE id = 'dlv_01JD00000000000000000000GONE01'").first()).toBeNull();
  });
});
