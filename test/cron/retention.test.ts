/** Retention deletes exactly what is past its window, in bounded batches. */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { enforceRetention } from "../../src/cron/retention";
import { getConfig } from "../../src/lib/config";
import { ulid } from "../../src/lib/ids";

const DAY = 86_400_000;

async function receipt(ageDays: number, withEvent: boolean, tag: string) {
  const at = Date.now() - ageDays * DAY;
  const u = ulid(at);
  const stmts = [
    env.DB.prepare(
      `INSERT INTO receipts (source_id, case_id, dedupe_key, id, customer_id, kind, event_type, subject, received_at, body, outcome)
       VALUES ('src_RET', ?1, ?2, ?3, 'cus_RET', 'webhook', 'x', 'case', ?4, '{"b":1}', ?5)`,
    ).bind(`case-${tag}`, `key-${tag}`, `rcv_${u}`, at, withEvent ? null : "stale"),
  ];
  if (withEvent) {
    stmts.push(
      env.DB.prepare(
        `INSERT INTO events (id, customer_id, source_id, case_id, sequence, type, status, receipt_id, payload, deliveries, created_at)
         VALUES (?1, 'cus_RET', 'src_RET', ?2, 1, 'case.updated', 'pending', ?3, '{}', '[]', ?4)`,
      ).bind(`evt_${u}`, `case-${tag}`, `rcv_${u}`, at),
      env.DB.prepare(
        `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, source_id, case_id, sequence, status, created_at, updated_at)
         VALUES (?1, ?2, 'ep_RET', 'cus_RET', 'src_RET', ?3, 1, 'failed', ?4, ?4)`,
      ).bind(`dlv_${u}AAAAAA`, `evt_${u}`, `case-${tag}`, at),
    );
  }
  await env.DB.batch(stmts);
  return u;
}

it("purges bodies after 3 days, event-less receipts after 7, events with their receipts and deliveries after 30", async () => {
  const fresh = await receipt(2, true, "fresh");
  const oldBody = await receipt(4, true, "old-body");
  const staleOld = await receipt(8, false, "stale-old");
  const staleRecent = await receipt(6, false, "stale-recent");
  const kept = await receipt(29, true, "kept");
  const expired = await receipt(31, true, "expired");
  await env.DB.prepare(
    "INSERT INTO cases (source_id, case_id, customer_id, terminal, check_after, created_at, updated_at) VALUES ('src_RET', 'case-expired', 'cus_RET', 1, 0, 0, ?1)",
  ).bind(Date.now() - 31 * DAY).run();

  const counts = await enforceRetention(env, Date.now(), getConfig(env));
  expect(counts).toMatchObject({ bodies: 5, receipts_without_event: 1, receipts: 1, events: 1, deliveries: 1 });

  const receipts = await env.DB.prepare("SELECT id, body FROM receipts WHERE source_id = 'src_RET' ORDER BY id").all<{ id: string; body: string | null }>();
  expect(receipts.results).toEqual([
    { id: `rcv_${kept}`, body: null },
    { id: `rcv_${staleRecent}`, body: null },
    { id: `rcv_${oldBody}`, body: null },
    { id: `rcv_${fresh}`, body: '{"b":1}' },
  ]);
  const events = await env.DB.prepare("SELECT id FROM events WHERE source_id = 'src_RET' ORDER BY id").all<{ id: string }>();
  expect(events.results.map((e) => e.id)).toEqual([`evt_${kept}`, `evt_${oldBody}`, `evt_${fresh}`]);
  const deliveries = await env.DB.prepare("SELECT id FROM deliveries WHERE source_id = 'src_RET'").all<{ id: string }>();
  expect(deliveries.results.map((d) => d.id)).not.toContain(`dlv_${expired}AAAAAA`);
  expect(deliveries.results).toHaveLength(3);
  // The case row stays, carrying the deleted event's sequence so numbering never restarts.
  const row = await env.DB.prepare("SELECT last_sequence FROM cases WHERE source_id = 'src_RET' AND case_id = 'case-expired'").first<{ last_sequence: number }>();
  expect(row!.last_sequence).toBe(1);
  expect(staleOld).toBeTruthy();

  // A second run finds nothing more to do.
  expect(await enforceRetention(env, Date.now(), getConfig(env))).toMatchObject({ bodies: 0, receipts_without_event: 0, receipts: 0, events: 0, deliveries: 0 });
});
