/** The console's Issues page and the overview's open issues: shown, acknowledged and resolved with the session's CSRF token. */
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SESSION_COOKIE } from "../../src/http/console/session";
import { indexStatements, type ControlWrite } from "../../src/db/index-writes";
import { ADMIN_TOKEN, api, BASE } from "../helpers/api";
import { createCustomer, createEndpoint, createSource } from "../helpers/factories";

type Page = { status: number; text: string; location: string | null };

async function visit(path: string, opts: { cookie?: string; form?: Record<string, string> } = {}): Promise<Page & { headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = `${SESSION_COOKIE}=${opts.cookie}`;
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers["content-type"] = "application/x-www-form-urlencoded";
  }
  const res = await exports.default.fetch(`${BASE}${path}`, { method: opts.form ? "POST" : "GET", headers, body, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get("location") };
}

async function logIn(): Promise<{ cookie: string; csrf: string }> {
  const res = await visit("/console/login", { form: { token: ADMIN_TOKEN } });
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))!
    .slice(SESSION_COOKIE.length + 1)
    .split(";")[0]!;
  const page = await visit("/console", { cookie });
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page.text)![1]! };
}

/** The table row of one issue, as HTML. */
const rowOf = (html: string, id: string) => {
  const at = html.indexOf(`<tr id="${id}"`);
  return at < 0 ? null : html.slice(at, html.indexOf("</tr>", at));
};

beforeEach(() => {
  vi.spyOn(env.ALERTS, "sendBatch").mockResolvedValue({ metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as never);
});
afterEach(() => vi.restoreAllMocks());

describe("console issues", () => {
  it("shows an open issue on the overview first and on the Issues page, acknowledges it, then resolves it", async () => {
    const c = await createCustomer("Console Issues Co");
    const ep = await createEndpoint(c.id, { url: "https://hooks.example.com/console-issues" });
    const src = await createSource(c.id);
    const at = Date.now();
    const writes: ControlWrite[] = [
      {
        kind: "issue",
        issue: "endpoint.failing",
        subjectId: ep.id,
        count: 7,
        threshold: 5,
        detail: "HTTP 503 <b>busy</b>",
        ref: { source_id: src.id, case_id: "case-<i>1</i>", event_id: "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6" },
        at,
      },
    ];
    await env.DB.batch(indexStatements(env.DB, writes));
    const id = (await api.get(`/v1/issues?customer_id=${c.id}`)).body.data[0].id as string;
    const { cookie, csrf } = await logIn();

    const overview = await visit("/console", { cookie });
    expect(overview.status).toBe(200);
    // Open issues come before everything else on the overview.
    const first = overview.text.indexOf('id="open-issues"');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(overview.text.indexOf("Open case"));
    expect(rowOf(overview.text, id)).toContain("endpoint.failing");

    const page = await visit("/console/issues", { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const row = rowOf(page.text, id)!;
    expect(row).toContain("endpoint.failing");
    expect(row).toContain("https://hooks.example.com/console-issues");
    expect(row).toContain("Console Issues Co");
    expect(row).toMatch(/class="issue-count">7</);
    expect(row).toContain(`href="/console#${ep.id}"`);
    expect(row).toContain(`href="/console/case?source=${src.id}&amp;case=case-%3Ci%3E1%3C%2Fi%3E#evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"`);
    // Data is text, never markup.
    expect(row).toContain("HTTP 503 &lt;b&gt;busy&lt;/b&gt;");
    expect(row).not.toContain("<b>");
    expect(row).toContain('value="acknowledged"');
    expect(page.text).toMatch(/Open <span class="count">\d+<\/span>/);

    // Without the session's CSRF token nothing changes.
    const forged = await visit(`/console/issues/${id}/status`, { cookie, form: { csrf: "not-the-token", status: "acknowledged" } });
    expect(forged.status).toBe(403);
    expect((await api.get(`/v1/issues/${id}`)).body.status).toBe("open");
    expect((await visit(`/console/issues/${id}/status`, { cookie, form: { csrf, status: "open" } })).status).toBe(422);

    const ack = await visit(`/console/issues/${id}/status`, { cookie, form: { csrf, status: "acknowledged" } });
    expect(ack.status).toBe(303);
    expect(ack.location).toBe(`/console/issues?status=acknowledged&done=issue-acknowledged#${id}`);
    expect((await api.get(`/v1/issues/${id}`)).body.status).toBe("acknowledged");
    const acked = await visit(ack.location!, { cookie });
    expect(acked.text).toContain("Issue acknowledged");
    const ackRow = rowOf(acked.text, id)!;
    expect(ackRow).toContain(">acknowledged<");
    expect(ackRow).not.toContain('value="acknowledged"');
    expect(ackRow).toContain('value="resolved"');
    expect(rowOf((await visit("/console/issues", { cookie })).text, id)).toBeNull();

    const resolve = await visit(`/console/issues/${id}/status`, { cookie, form: { csrf, status: "resolved" } });
    expect(resolve.location).toBe(`/console/issues?status=resolved&done=issue-resolved#${id}`);
    const resolved = await visit(resolve.location!, { cookie });
    const resolvedRow = rowOf(resolved.text, id)!;
    expect(resolvedRow).toContain(">resolved<");
    expect(resolvedRow).toContain("resolved by an operator (operator)");
    expect(resolvedRow).not.toContain("<form");
    expect((await api.get(`/v1/issues/${id}`)).body).toMatchObject({ status: "resolved", resolved_by: "operator" });
    expect(rowOf((await visit("/console", { cookie })).text, id)).toBeNull();
    // Resolved is final.
    expect((await visit(`/console/issues/${id}/status`, { cookie, form: { csrf, status: "acknowledged" } })).status).toBe(409);
    expect((await visit("/console/issues/iss_00000000000000000000000000/status", { cookie, form: { csrf, status: "resolved" } })).status).toBe(404);
  });
});
