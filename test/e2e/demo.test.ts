/**
 * `npm run demo` end to end: a real `wrangler dev` relay, the provider sandbox and the demo
 * receiver; the six stories must end delivered, signed and in order, with the relay's own
 * counts of duplicates and stale events matching what the demo sent on purpose; then the outage
 * must open an endpoint.failing issue, notify it (signed) and resolve it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo, type DemoSummary } from "../../scripts/demo.mjs";
import { startRelay, type Relay } from "../../scripts/lib/relay.mjs";

describe("npm run demo", () => {
  let relay: Relay;
  let summary: DemoSummary;
  const output: string[] = [];

  beforeAll(async () => {
    relay = await startRelay();
    summary = await runDemo({ relayUrl: relay.url, adminToken: relay.adminToken, log: (line) => output.push(line) });
  });

  afterAll(async () => {
    await relay?.stop();
  });

  it("ends every story delivered, signed and in order", () => {
    expect(summary.stories.map((s) => s.provider)).toEqual(["karmacheck", "truework", "casekeeper", "keldair", "checkr", "persona"]);
    for (const story of summary.stories) {
      expect({ provider: story.provider, problems: story.problems, error: story.error }).toEqual({ provider: story.provider, problems: [], error: null });
      expect(story.delivered).toBe(true);
      expect(story.signed).toBe(true);
      expect(story.sequences).toEqual(story.sequences.map((_, i) => i + 1));
    }
    expect(summary.stories.map((s) => s.ended)).toEqual([
      { type: "case.completed", status: "completed" },
      { type: "case.completed", status: "completed" },
      { type: "case.completed", status: "completed" },
      { type: "case.updated", status: "in_progress" },
      { type: "case.completed", status: "completed" },
      { type: "case.completed", status: "completed" },
    ]);
    expect(summary.ok).toBe(true);
  });

  it("verifies every delivery's signature", () => {
    expect(summary.delivered).toBeGreaterThan(0);
    expect(summary.signaturesVerified).toBe(summary.delivered);
    expect(summary.forwarded).toBe(summary.delivered);
  });

  it("counts the duplicates and stale events it sent, as the relay recorded them", () => {
    expect(summary.intended.duplicates).toBeGreaterThan(0);
    expect(summary.duplicatesDropped).toBe(summary.intended.duplicates);
    expect(summary.intended.stale).toBe(1);
    expect(summary.staleDropped).toBe(summary.intended.stale);
    expect(summary.failed).toBe(0);
  });

  it("has the forged Keldair webhook rejected with 401", () => {
    expect(summary.rejections).toEqual([expect.objectContaining({ provider: "keldair", status: 401 })]);
    expect(summary.rejected).toBe(1);
    expect(summary.accepted).toBe(summary.sent - 1);
  });

  it("prints each delivery and a summary", () => {
    const stories = output.slice(
      0,
      output.findIndex((l) => l.startsWith("\nOutage:")),
    );
    expect(stories.filter((l) => l.includes("⇢") && l.includes("signature ok"))).toHaveLength(summary.delivered);
    expect(output.join("\n")).toContain("Every story ended delivered, signed and in order.");
  });

  it("stops the receiver: an endpoint.failing issue opens, is notified to the alert endpoint, and resolves once the receiver is back", async () => {
    const o = summary.outage!;
    expect(o.problems).toEqual([]);
    expect(o).toMatchObject({ ok: true, opened: true, resolved: true, signed: true });
    expect(o.failedAttempts).toBeGreaterThanOrEqual(1);
    expect(o.notifications).toEqual(["endpoint.failing", "endpoint.recovered"]);
    const issue = await (await fetch(`${relay.url}/v1/issues/${o.issueId}`, { headers: { authorization: `Bearer ${relay.adminToken}` } })).json();
    expect(issue).toMatchObject({ kind: "endpoint.failing", status: "resolved", resolved_by: "relay" });
    expect(output.filter((l) => l.includes("✉ alert")).every((l) => l.includes("signature ok"))).toBe(true);
    expect(output.join("\n")).toContain("The outage was seen, notified and resolved.");
  });
});
