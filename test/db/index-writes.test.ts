/**
 * The cases index as the consumer writes it: what each decision leaves in the row, that a retried
 * or late write changes nothing, and what each costs in rows written (D1 bills index entries).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { indexStatements, type IndexWrite } from "../../src/db/index-writes";
import type { Status } from "../../src/domain";

const RECONCILE_AFTER = 60_000;

function caseOf() {
  const sourceId = `src_${crypto.randomUUID().replace(/-/g, "")}`;
  const write = async (status: Status, terminal: boolean, at: number) => {
    const w: IndexWrite = { kind: "case", sourceId, caseId: "c1", customerId: "cus_t", status, terminal, reconcileAfterMs: RECONCILE_AFTER, at };
    const results = await env.DB.batch(indexStatements(env.DB, [w]));
    return results.reduce((n, r) => n + r.meta.rows_written, 0);
  };
  const row = () =>
    env.DB.prepare("SELECT status, terminal, check_after, reconcile_failures, created_at, updated_at FROM cases WHERE source_id = ?1 AND case_id = 'c1'")
      .bind(sourceId)
      .first<{ status: Status; terminal: number; check_after: number; reconcile_failures: number; created_at: number; updated_at: number }>();
  return { sourceId, write, row };
}

describe("the cases index", () => {
  it("writes the row and its open-case index entry once, then one row per status change", async () => {
    const c = caseOf();
    expect(await c.write("pending", false, 1_000)).toBe(2);
    expect(await c.write("in_progress", false, 2_000)).toBe(1);
    expect(await c.write("in_progress", false, 3_000)).toBe(0);
    expect(await c.row()).toMatchObject({ status: "in_progress", terminal: 0, check_after: 1_000 + RECONCILE_AFTER, created_at: 1_000, updated_at: 2_000 });
  });

  it("closes and reopens: a reopened case is due for its reconcile again", async () => {
    const c = caseOf();
    await c.write("pending", false, 1_000);
    expect(await c.write("completed", true, 2_000)).toBeGreaterThan(0);
    expect(await c.row()).toMatchObject({ status: "completed", terminal: 1, check_after: 1_000 + RECONCILE_AFTER });
    await c.write("in_progress", false, 5_000);
    expect(await c.row()).toMatchObject({ status: "in_progress", terminal: 0, check_after: 5_000 + RECONCILE_AFTER, updated_at: 5_000 });
  });

  it("a webhook that got through clears a reconcile failure, even without a status change", async () => {
    const c = caseOf();
    await c.write("pending", false, 1_000);
    await env.DB.prepare("UPDATE cases SET reconcile_failures = 3, reconcile_error = 'refetch_failed' WHERE source_id = ?1").bind(c.sourceId).run();
    await c.write("pending", false, 4_000);
    expect(await c.row()).toMatchObject({ status: "pending", reconcile_failures: 0, check_after: 4_000 + RECONCILE_AFTER });
  });

  it("a late or retried decision changes nothing", async () => {
    const c = caseOf();
    await c.write("pending", false, 1_000);
    await c.write("completed", true, 3_000);
    expect(await c.write("in_progress", false, 2_000)).toBe(0);
    expect(await c.write("completed", true, 3_000)).toBe(0);
    expect(await c.row()).toMatchObject({ status: "completed", terminal: 1, updated_at: 3_000 });
  });
});
