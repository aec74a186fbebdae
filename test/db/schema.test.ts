import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as schema from "../../src/db/schema";

describe("migrations", () => {
  it("create every table of the drizzle schema with the same columns", async () => {
    for (const table of Object.values(schema) as SQLiteTable[]) {
      const config = getTableConfig(table);
      const info = await env.DB.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).bind(config.name).all<{ name: string }>();
      expect(info.results.map((c) => c.name).sort(), config.name).toEqual(config.columns.map((c) => c.name).sort());
    }
  });

  it("make the tables written per event (or per case) WITHOUT ROWID, without secondary indexes", async () => {
    for (const name of ["receipts", "events", "cases"]) {
      const row = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").bind(name).first<{ sql: string }>();
      expect(row?.sql).toMatch(/WITHOUT ROWID\s*$/);
      const indexes = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").bind(name).all();
      // cases keeps one partial index for the reconcile cron (written when a case opens, closes or is rescheduled).
      expect(indexes.results).toEqual(name === "cases" ? [{ name: "cases_open_check_after" }] : []);
    }
  });
});
