/**
 * The migrations build exactly the drizzle schema: every table, column type, NOT NULL and default,
 * for D1 (migrations/) and for a case object's own SQLite (migrations/case/). Custom migrations
 * (WITHOUT ROWID) are written by hand, so this is what keeps them honest.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as caseSchema from "../../src/db/case/schema";
import * as schema from "../../src/db/schema";
import { indexBindings } from "../helpers/index-dbs";

type Column = { name: string; type: string; notnull: number; dflt_value: string | null };

/** What drizzle declares, in the words of `pragma table_info`. */
function declared(table: SQLiteTable) {
  const config = getTableConfig(table);
  const pk = new Set(config.primaryKeys.flatMap((p) => p.columns.map((c) => c.name)));
  return Object.fromEntries(
    config.columns.map((c) => {
      const d = c.default;
      const dflt =
        d === undefined
          ? null
          : typeof d === "string"
            ? `'${d}'`
            : typeof d === "boolean"
              ? String(d)
              : typeof d === "object"
                ? `'${JSON.stringify(d)}'`
                : String(d);
      return [c.name, { type: c.getSQLType(), notnull: c.notNull || c.primary || pk.has(c.name), dflt }];
    }),
  );
}

const actual = (rows: Column[]) => Object.fromEntries(rows.map((r) => [r.name, { type: r.type, notnull: r.notnull === 1 || undefined, dflt: r.dflt_value }]));

const normalize = (cols: Record<string, { type: string; notnull: boolean | undefined; dflt: string | null }>) =>
  Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, { type: v.type.toLowerCase(), notnull: Boolean(v.notnull), dflt: v.dflt }]));

const tables = (mod: Record<string, unknown>) =>
  Object.values(mod).filter((t): t is SQLiteTable => typeof t === "object" && t !== null && Symbol.for("drizzle:Name") in t);

describe("D1 migrations", () => {
  it("create every table of the drizzle schema with the same columns, types, NOT NULL and defaults", async () => {
    for (const table of tables(schema)) {
      const name = getTableConfig(table).name;
      const info = await env.DB.prepare(`SELECT name, type, "notnull", dflt_value FROM pragma_table_info(?)`).bind(name).all<Column>();
      expect(normalize(actual(info.results)), name).toEqual(normalize(declared(table)));
    }
  });

  it("make the tables written per event, case or batch WITHOUT ROWID, with no index but the reconcile cron's", async () => {
    for (const name of ["events", "cases", "source_days", "endpoint_hours"]) {
      const row = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").bind(name).first<{ sql: string }>();
      expect(row?.sql, name).toMatch(/WITHOUT ROWID\s*$/);
      const indexes = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").bind(name).all();
      // cases keeps one partial index for the reconcile cron (written when a case opens, closes or is rescheduled).
      expect(indexes.results, name).toEqual(name === "cases" ? [{ name: "cases_open_check_after" }] : []);
    }
  });

  it("give an index database (migrations/index/) the control plane's events table as it is, and nothing else", async () => {
    const own = indexBindings().filter((db) => db !== env.DB);
    expect(own.length).toBeGreaterThan(0);
    const tablesOf = async (db: D1Database) =>
      (
        await db
          .prepare(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'd1\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
          )
          .all<{ type: string; name: string; sql: string }>()
      ).results;
    const control = (await tablesOf(env.DB)).filter((t) => t.name === "events");
    expect(control).toHaveLength(1);
    for (const db of own) expect(await tablesOf(db)).toEqual(control);
  });
});

describe("case object migrations", () => {
  it("create the drizzle schema of the case record, with no secondary index, once the case is first written", async () => {
    const r = await env.CASES.get(env.CASES.idFromName(`src_SCHEMA:${crypto.randomUUID()}`));
    await r.stash({
      id: "rcv_01JD00000000000000000000S1",
      dedupeKey: "k",
      subject: "case",
      version: null,
      providerEventId: null,
      providerEventType: "x",
      receivedAt: Date.now(),
      bodySha256: "0".repeat(64),
      body: "{}",
    });
    await runInDurableObject(r, (_o, state) => {
      for (const table of tables(caseSchema)) {
        const name = getTableConfig(table).name;
        const info = state.storage.sql.exec(`SELECT name, type, "notnull", dflt_value FROM pragma_table_info('${name}')`).toArray() as Column[];
        expect(normalize(actual(info)), name).toEqual(normalize(declared(table)));
      }
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").toArray()).toEqual([]);
    });
  });

  it("leave an object that was only read without any storage", async () => {
    const r = env.CASES.get(env.CASES.idFromName(`src_SCHEMA:${crypto.randomUUID()}`));
    await r.trail();
    await runInDurableObject(r, (_o, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray()).toEqual([]);
    });
  });
});
