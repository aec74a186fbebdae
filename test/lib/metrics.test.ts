/**
 * The bench's counters (src/lib/metrics.ts) run only where METRICS = "on": deployed, the bindings
 * and the objects' storage are the platform's own, unwrapped.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createDb } from "../../src/db/client";
import { indexDatabases } from "../../src/db/index-shards";
import { customers } from "../../src/db/schema";
import { getConfig } from "../../src/lib/config";
import { meteredObject, snapshot, withMetrics } from "../../src/lib/metrics";
import worker from "../../src/index";

const ADMIN = { authorization: `Bearer ${env.ADMIN_TOKEN}`, "content-type": "application/json" };

/** The tests' env with METRICS set otherwise, as a deployment with other [vars] would run. */
const withMetricsVar = (value: string) => new Proxy(env, { get: (t, p) => (p === "METRICS" ? value : Reflect.get(t, p)) });

/** A stand-in object: one entry point that runs one statement. */
class Probe {
  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
  ) {}
  async touch(): Promise<string> {
    this.ctx.storage.sql.exec("UPDATE t SET v = 1");
    return "touched";
  }
}
const MeteredProbe = meteredObject(Probe, ["touch"]);

function fakeState() {
  const sql = { exec: vi.fn(() => ({ rowsWritten: 1, rowsRead: 1, toArray: () => [] })) };
  const storage = { sql, setAlarm: vi.fn() };
  return { state: { storage } as unknown as DurableObjectState, sql };
}

describe("metering", () => {
  it("wraps the bindings and counts every D1 query when METRICS is on", async () => {
    expect(withMetrics(env)).not.toBe(env);
    const before = snapshot().d1Queries;
    const res = await worker.fetch!(
      new Request("http://relay.test/v1/customers", { method: "POST", headers: ADMIN, body: JSON.stringify({ name: "Metered" }) }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(201);
    expect(snapshot().d1Queries).toBeGreaterThan(before);
  });

  it("counts each D1 database's round trips under its binding's name, the events index's own included", async () => {
    const before = snapshot().d1QueriesBy;
    await createDb(withMetrics(env).DB).select().from(customers).limit(1);
    const [index] = indexDatabases(env);
    await index!.prepare("SELECT count(*) FROM events").all();
    await index!.batch([index!.prepare("SELECT 1"), index!.prepare("SELECT 2")]);
    const after = snapshot().d1QueriesBy;
    const name = getConfig(env).indexDatabases[0]!;
    expect(name).not.toBe("DB");
    expect((after.DB ?? 0) - (before.DB ?? 0)).toBeGreaterThanOrEqual(1);
    expect((after[name] ?? 0) - (before[name] ?? 0)).toBe(2);
  });

  it("leaves the bindings as they are and counts no query when METRICS is off", async () => {
    const off = withMetricsVar("off");
    expect(withMetrics(off)).toBe(off);
    const before = snapshot();
    const res = await worker.fetch!(
      new Request("http://relay.test/v1/customers", { method: "POST", headers: ADMIN, body: JSON.stringify({ name: "Unmetered" }) }),
      off,
      createExecutionContext(),
    );
    expect(res.status).toBe(201);
    const after = snapshot();
    expect([after.d1Queries, after.d1RowsWritten]).toEqual([before.d1Queries, before.d1RowsWritten]);
  });

  it("wraps an object's storage and entry points only when METRICS is on", async () => {
    const on = fakeState();
    const before = snapshot();
    expect(await new MeteredProbe(on.state, env).touch()).toBe("touched");
    expect(on.state.storage.sql).not.toBe(on.sql);
    expect(snapshot().doRequests - before.doRequests).toBe(1);
    expect(snapshot().doRowsWritten - before.doRowsWritten).toBe(1);

    const off = fakeState();
    const between = snapshot();
    expect(await new MeteredProbe(off.state, withMetricsVar("off")).touch()).toBe("touched");
    expect(off.state.storage.sql).toBe(off.sql);
    expect(off.sql.exec).toHaveBeenCalledTimes(1);
    // The call is counted (the bench waits on it), its rows are not.
    expect([snapshot().doRequests, snapshot().doRowsWritten]).toEqual([between.doRequests + 1, between.doRowsWritten]);
  });

  it("is off unless asked for, and a value other than on or off is a configuration error", () => {
    const unset = new Proxy(env, { get: (t, p) => (p === "METRICS" ? undefined : Reflect.get(t, p)) });
    expect(withMetrics(unset)).toBe(unset);
    expect(() => getConfig(unset)).not.toThrow();
    expect(() => getConfig(withMetricsVar("yes"))).toThrow("invalid Worker configuration: METRICS");
  });
});
