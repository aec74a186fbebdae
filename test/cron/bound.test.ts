/** One reconcile run does at most its bound, oldest due first; the rest come next run. */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, expect, it } from "vitest";
import { reconcileDueCases } from "../../src/cron/reconcile";
import { api } from "../helpers/api";
import { stubNetwork, type Network } from "../helpers/net";
import { kcCaseEvent, karmacheckRelay } from "../helpers/relay";
import { eventually } from "../helpers/wait";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

it("processes the bound and leaves the rest for the next run, oldest first", async () => {
  const r = await karmacheckRelay(net);
  await api.patch(`/v1/sources/${r.source.id}`, { reconcile_after_seconds: 600 });
  const ids = ["b-1", "b-2", "b-3"];
  for (const id of ids) {
    r.api.set(id, "Pending", null, "2024-05-25T19:00:00.000Z");
    await r.send(kcCaseEvent(id, "2024-05-25T19:00:00.000Z", "Pending", null));
    await eventually(async () => (await env.DB.prepare("SELECT 1 FROM cases WHERE case_id = ?").bind(id).first()) !== null);
  }
  for (const id of ids) r.api.set(id, "Complete", null, "2024-05-25T20:00:00.000Z");
  const run = async (at: number) => {
    return reconcileDueCases(env, at, 2);
  };
  const fetched = () => r.api.stats.fetches.filter((id) => ids.includes(id)).length;
  const before = fetched();
  const t = Date.now() + 601_000;
  expect(await run(t)).toMatchObject({ due: 2, refetched: 2, forwarded: 2 });
  expect(fetched() - before).toBe(2);
  expect(r.api.stats.fetches.slice(-2).sort()).toEqual(["b-1", "b-2"]);
  expect(await run(t + 1000)).toMatchObject({ due: 1, refetched: 1, forwarded: 1 });
  expect(r.api.stats.fetches.at(-1)).toBe("b-3");
  expect(await run(t + 2000)).toMatchObject({ due: 0 });
});
