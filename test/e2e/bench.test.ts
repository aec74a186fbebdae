/** npm run bench is the measure (no timing assertions here): this only checks that it runs and reports. */
import { expect, it } from "vitest";
// @ts-expect-error plain ESM script without types
import { benchSettings, runBench } from "../../bench/run.mjs";

it("runs every section of the bench at its smallest size", async () => {
  const report = await runBench(benchSettings(["--quick"]), { write: false });
  expect(report.ackPath.bare.rps).toBeGreaterThan(0);
  expect(report.ackPath.ingest.rps).toBeGreaterThan(0);
  expect(report.ackPath.ingest.non2xx).toBe(0);
  expect(report.endToEnd.fanout1.delivered).toBeGreaterThan(0);
  expect(report.endToEnd.fanout3.delivered).toBeGreaterThan(0);
  for (const c of [report.cost.fanout1, report.cost.fanout3]) {
    expect(c.usdPerMillion.total).toBeGreaterThan(0);
    expect(c.perEvent.queueOps).toBeGreaterThanOrEqual(3);
  }
  for (const s of [report.storage.fanout1, report.storage.fanout3]) {
    // Pages grow only when one fills (a quick run may add none); the payload written always grows.
    expect(s.d1BytesPerEvent).toBeGreaterThanOrEqual(0);
    expect(s.d1PayloadBytesPerEvent).toBeGreaterThan(0);
    expect(s.objectBytesPerEvent).toBeGreaterThan(0);
  }
  expect(report.cost.fanout1.perEvent.doRowsWritten).toBeGreaterThan(0);
  // As deployed, nothing is counted; the runtime's CPU is the figure.
  expect(report.endToEnd.unmetered.delivered).toBeGreaterThan(0);
  expect(report.endToEnd.unmetered.counted).toEqual({ d1Queries: 0, doStatements: 0 });
  // An event's life: retention's deletes write rows, and the month's bill counts them.
  const life = report.cost.lifetime;
  expect(life.deleted.receipts).toBeGreaterThan(0);
  expect(life.deleted.indexEvents).toBeGreaterThan(0);
  expect(life.retention.perEvent.doRowsWritten).toBeGreaterThan(0);
  expect(life.retention.perEvent.d1RowsWritten).toBeGreaterThan(0);
  expect(life.life.usdPerMillion.total).toBeGreaterThan(life.relayed.usdPerMillion.total);
  // With the events index in databases of its own, every row is there and none in the control plane's.
  const ix = report.endToEnd.indexDatabases;
  expect(ix.delivered).toBeGreaterThan(0);
  expect(ix.indexRows.own).toBeGreaterThanOrEqual(ix.delivered);
  expect(ix.indexRows.control).toBe(0);
  // Its round trips by database: the control plane's and the index's own (the day's) both took some.
  expect(ix.d1QueriesPerEventBy.DB).toBeGreaterThan(0);
  expect((ix.d1QueriesPerEventBy.INDEX_1 ?? 0) + (ix.d1QueriesPerEventBy.INDEX_2 ?? 0)).toBeGreaterThan(0);
  expect(report.batchTimeouts.every((t: { latency: { delivered: number } }) => t.latency.delivered > 0)).toBe(true);
  expect(report.cost.monthly10M.caserelay.total).toBeGreaterThanOrEqual(5);
  expect(report.cost.monthly100M.caserelay.d1Gb).toBeGreaterThan(report.cost.monthly10M.caserelay.d1Gb);
  // Flow control: every held delivery arrives, each case in order (how closely the limit holds is the bench's figure).
  expect(report.rateLimit.delivered).toBe(report.rateLimit.events);
  expect(report.rateLimit.casesInOrder).toBe(report.rateLimit.cases);
}, 240_000);
