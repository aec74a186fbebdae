/**
 * Platform behaviours the design relies on, checked in this runtime and kept as tests
 * (each checked in a small scratch test before anything was built on it).
 */
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";

const rowsWritten = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .run()
  ).meta.rows_written;

describe("D1 rows written (what D1 bills)", () => {
  it("counts one per b-tree touched: a TEXT primary key on a rowid table costs two, WITHOUT ROWID one", async () => {
    const t = `t${crypto.randomUUID().replace(/-/g, "")}`;
    await env.DB.batch([
      env.DB.prepare(`CREATE TABLE ${t}_rowid (id TEXT PRIMARY KEY, v TEXT)`),
      env.DB.prepare(`CREATE TABLE ${t}_norowid (id TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID`),
      env.DB.prepare(`CREATE TABLE ${t}_idx (id INTEGER PRIMARY KEY, a TEXT, b TEXT)`),
      env.DB.prepare(`CREATE INDEX ${t}_idx_a ON ${t}_idx (a)`),
    ]);
    expect(await rowsWritten(`INSERT INTO ${t}_rowid VALUES ('k', 'v')`)).toBe(2);
    expect(await rowsWritten(`INSERT INTO ${t}_norowid VALUES ('k', 'v')`)).toBe(1);
    expect(await rowsWritten(`INSERT INTO ${t}_idx VALUES (1, 'a', 'b')`)).toBe(2);
    // An upsert that changes nothing, or a conflict that does nothing, writes nothing.
    expect(await rowsWritten(`INSERT INTO ${t}_norowid VALUES ('k', 'v') ON CONFLICT DO NOTHING`)).toBe(0);
    expect(await rowsWritten(`INSERT INTO ${t}_norowid VALUES ('k', 'w') ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE ${t}_norowid.v = 'never'`)).toBe(
      0,
    );
    expect(await rowsWritten(`UPDATE ${t}_idx SET b = 'c' WHERE id = 1`)).toBe(1);
    expect(await rowsWritten(`UPDATE ${t}_idx SET a = 'c' WHERE id = 1`)).toBe(2);
    // Deleting is billed as writing, once per row deleted (its index entries are not counted): retention's deletes cost rows too.
    expect([
      await rowsWritten(`DELETE FROM ${t}_norowid WHERE id = 'k'`),
      await rowsWritten(`DELETE FROM ${t}_idx WHERE id = 1`),
      await rowsWritten(`DELETE FROM ${t}_idx WHERE id = 1`),
    ]).toEqual([1, 1, 0]);
  });
});

describe("Durable Object SQLite rows written (what object storage bills)", () => {
  it("counts two per CREATE TABLE, and one per row an INSERT, UPDATE or DELETE touches: a new case pays for its tables once", async () => {
    const stub = env.CASES.get(env.CASES.idFromName(`src_platform:rows-${crypto.randomUUID()}`));
    const written = await runInDurableObject(stub, (_o, state) => {
      const run = (q: string) => {
        const c = state.storage.sql.exec(q);
        c.toArray();
        return c.rowsWritten;
      };
      return [
        run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"),
        run("CREATE TABLE u (id INTEGER PRIMARY KEY, v TEXT, w TEXT, x TEXT)"),
        run("INSERT INTO t VALUES (1, 'a')"),
        run("UPDATE t SET v = 'b' WHERE id = 1"),
        run("UPDATE t SET v = 'b' WHERE id = 2"),
        run("INSERT INTO t VALUES (2, 'c'), (3, 'd')"),
        run("DELETE FROM t WHERE id >= 2"),
        run("DELETE FROM t WHERE id >= 2"),
      ];
    });
    expect(written).toEqual([2, 2, 1, 1, 0, 2, 2, 0]);
  });

  it("refuses PRAGMA user_version (SQLITE_AUTH): a case's schema version has to live in a row (case_state)", async () => {
    const stub = env.CASES.get(env.CASES.idFromName(`src_platform:pragma-${crypto.randomUUID()}`));
    const errors = await runInDurableObject(stub, (_o, state) =>
      ["PRAGMA user_version", "PRAGMA user_version = 3"].map((q) => {
        try {
          state.storage.sql.exec(q).toArray();
          return "allowed";
        } catch (error) {
          return String(error);
        }
      }),
    );
    expect(errors).toEqual(["Error: not authorized: SQLITE_AUTH", "Error: not authorized: SQLITE_AUTH"]);
  });
});

describe("the Vitest integration's queue helpers", () => {
  it("record retry() but not its delaySeconds: tests read the delay off a spy", async () => {
    const batch = createMessageBatch("q", [{ id: "m", timestamp: new Date(), attempts: 1, body: {} }]);
    const spy = vi.spyOn(batch.messages[0]!, "retry");
    batch.messages[0]!.retry({ delaySeconds: 42 });
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.retryMessages).toEqual([{ msgId: "m" }]);
    expect(spy).toHaveBeenCalledWith({ delaySeconds: 42 });
  });
});
