/**
 * The operator console in a real browser (Debian's Chromium driven by playwright-core) against a
 * real `wrangler dev`: log in, find a case, read its timeline, replay an event, check that a
 * provider body full of markup renders as inert text, and see an issue (an endpoint that cannot be
 * reached) first on the overview, then acknowledge and resolve it. Screenshots go to test/artifacts/.
 * Set CONSOLE_DOCS_SCREENSHOT=1 to also refresh the README's docs/console-case.png.
 */
import type { BrowserContext, Page } from "playwright-core";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/lib/receiver.mjs";
import { freePort, startRelay, waitFor, type Relay } from "../../scripts/lib/relay.mjs";
import { artifact, CHROMIUM, docsFile, fileSize, hasChromium as chromiumInstalled, launchChromium } from "./browser.mjs";

const hasChromium = chromiumInstalled();
if (!hasChromium) {
  // Straight to stderr: vitest.config.ts's `silent: "passed-only"` would swallow a console.warn of a skipped file.
  process.stderr.write(
    `\n⚠⚠⚠ SKIPPING the operator console's browser tests (test/e2e/console.test.ts): ${CHROMIUM} is missing.\n` +
      "    Install Debian's Chromium to run them: apt-get install -y --no-install-recommends chromium\n\n",
  );
}

const XSS_SCRIPT = "<script>alert(1)</script>";
const XSS_IMG = '"><img src=x onerror=alert(1)>';

describe.skipIf(!hasChromium)("operator console in Chromium", () => {
  let relay: Relay;
  let receiver: Receiver;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  /** Errors the page logs: a Content-Security-Policy violation would show up here (HTTP statuses aside: the 401 of a wrong token, /favicon.ico). */
  const pageErrors: string[] = [];
  const caseId = `app_${Math.random().toString(36).slice(2, 8)}`;
  let sourceId: string;
  let endpointId: string;
  /** An endpoint nobody listens on, for case.created only: its first failed attempt opens endpoint.failing. */
  let deadEndpointId: string;
  let issueId: string;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${relay.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    // One failed attempt is enough for an endpoint.failing issue here.
    relay = await startRelay({ vars: { ALERT_FAILING_AFTER: "1" } });
    receiver = await startReceiver({ log: () => {} });
    const customer = await admin("POST", "/v1/customers", { name: "Acme Hiring" });
    // Keldair without a refetch template: bodies are forwarded as sent (verified: false).
    const secret = `whsec_${btoa("console-e2e-keldair-secret-0123")}`;
    const source = await admin("POST", "/v1/sources", { customer_id: customer.id, provider: "keldair", name: "Keldair ATS", config: { verify: { secret } } });
    sourceId = source.id;
    const endpoint = await admin("POST", "/v1/endpoints", { customer_id: customer.id, url: receiver.url, description: "Hiring pipeline" });
    endpointId = endpoint.id;
    receiver.setSecret(endpoint.secret);
    const dead = await admin("POST", "/v1/endpoints", {
      customer_id: customer.id,
      url: `http://127.0.0.1:${await freePort()}/gone`,
      description: "Nobody listens",
      filter: { types: ["case.created"] },
    });
    deadEndpointId = dead.id;

    const send = async (type: string, minutes: number, data: Record<string, unknown>) => {
      const body = {
        id: crypto.randomUUID(),
        type,
        version: "2022-02-23",
        dateOccurred: new Date(Date.now() - (30 - minutes) * 60_000).toISOString(),
        data: { id: caseId, ...data },
      };
      const raw = JSON.stringify(body);
      const res = await fetch(`${relay.url}/in/${sourceId}`, {
        method: "POST",
        body: raw,
        headers: {
          "content-type": "application/json",
          "webhook-id": body.id,
          "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
          "webhook-signature": new Webhook(secret).sign(body.id, new Date(), raw),
        },
      });
      expect(res.status, await res.text()).toBe(200);
    };
    await send("applicant.created", 1, { firstName: "Lee", lastName: "Okafor", stage: "applied", jobId: "job_981" });
    await send("applicant.hired", 5, {
      firstName: "Lee",
      lastName: "Okafor",
      stage: "hired",
      note: XSS_SCRIPT,
      title: XSS_IMG,
      [XSS_SCRIPT]: "a key with markup",
      [XSS_IMG]: { nested: XSS_SCRIPT },
    });
    await waitFor(() => receiver.deliveries.length >= 2, { timeout: 30_000, what: "both events delivered" });
    await waitFor(async () => (await admin("GET", `/v1/cases/${sourceId}/${caseId}`)).events.length === 2, { timeout: 30_000, what: "both events stored" });
    issueId = await waitFor(
      async () =>
        (await admin("GET", "/v1/issues?kind=endpoint.failing&status=open")).data.find((i: { subject: { id: string } }) => i.subject.id === deadEndpointId)?.id,
      {
        timeout: 30_000,
        what: "the unreachable endpoint's issue",
      },
    );

    browser = await launchChromium();
    ({ context, page } = browser);
    // alert(1) anywhere would open a dialog: record it, never let it block.
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.stop();
    await relay?.stop();
  });

  it("asks for the admin token, then shows the overview", async () => {
    const res = await page.goto(`${relay.url}/console`);
    expect(page.url()).toBe(`${relay.url}/console/login?next=%2Fconsole`);
    expect(res!.headers()["content-security-policy"]).toContain("default-src 'none'");
    await page.screenshot({ path: artifact("console-login.png") });

    await page.fill('input[name="token"]', "not-the-admin-token");
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent(".error")).toContain("not the admin token");

    await page.fill('input[name="token"]', relay.adminToken);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${relay.url}/console`);
    expect(await page.textContent("h1")).toBe("Overview");
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: "caserelay_console", httpOnly: true, sameSite: "Strict", path: "/console" })]);
    expect(cookies[0]!.value).not.toContain(relay.adminToken);
    // The source, its receipts today, and the endpoint with its deliveries.
    await expect.poll(() => page.locator("#sources").textContent()).toContain("Keldair ATS");
    expect(await page.locator("#sources").textContent()).toContain("2 receipts, 0 duplicates");
    expect(await page.locator(`tr#${endpointId}`).textContent()).toContain("0 of 2 attempts failed");
    await page.screenshot({ path: artifact("console-overview.png"), fullPage: true });
  });

  it("finds a case and shows its timeline", async () => {
    await page.fill('input[name="source"]', sourceId);
    await page.fill('input[name="case"]', caseId);
    await page.click('button:has-text("Open case")');
    await page.waitForURL(/\/console\/case\?/);
    expect(await page.textContent("h1")).toBe(`Case ${caseId}`);
    expect(await page.locator("article.event").count()).toBe(2);
    const newest = page.locator("article.event").first();
    expect(await newest.locator(".seq").textContent()).toBe("#2");
    expect(await newest.textContent()).toContain("applicant.hired");
    expect(await newest.textContent()).toContain("not verified (body forwarded)");
    expect(await newest.locator(".badge.ok").first().textContent()).toBe("succeeded");
    expect(await page.locator("#receipts tbody tr").count()).toBe(2);
    await page.screenshot({ path: artifact("console-case.png"), fullPage: true });
    if (process.env.CONSOLE_DOCS_SCREENSHOT) {
      const docs = docsFile("console-case.png");
      await page.screenshot({ path: docs });
      expect(fileSize(docs)).toBeLessThan(200 * 1024);
    }
  });

  it("renders markup from the provider as inert text", async () => {
    const state = page.locator("article.event").first().locator("pre.json");
    await expect.poll(() => state.isVisible()).toBe(true);
    // Literally visible, as text, in values and keys.
    const text = (await state.textContent())!;
    expect(text).toContain(`"note": "${XSS_SCRIPT}"`);
    expect(text).toContain(`"${XSS_SCRIPT}": "a key with markup"`);
    expect(text).toContain(`"title": "\\"><img src=x onerror=alert(1)>"`);
    expect(await page.getByText(`"note": "${XSS_SCRIPT}"`, { exact: false }).first().isVisible()).toBe(true);
    // Nothing of it became an element, and no script ran.
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("script").count()).toBe(0);
    // The receipt's body, opened, is as inert.
    await page.locator("#receipts details summary").first().click();
    expect(await page.locator("#receipts pre.json").first().textContent()).toContain(XSS_IMG.replace('"', '\\"'));
    expect(await page.locator("img").count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it("replays an event and shows the new delivery", async () => {
    const before = receiver.deliveries.length;
    const newest = page.locator("article.event").first();
    await newest.locator('select[name="endpoint_id"]').selectOption(endpointId);
    await newest.locator('button:has-text("Replay")').click();
    await page.waitForURL(/done=replayed/);
    expect(await page.textContent(".notice")).toBe("Replayed: 1 delivery.");
    await waitFor(() => receiver.deliveries.length > before, { timeout: 30_000, what: "the replay delivered" });
    const replayed = receiver.deliveries.at(-1)!;
    expect(replayed.envelope.data.trigger.kind).toBe("replay");
    expect(replayed.envelope.data.sequence).toBe(2);
    expect(replayed.verified).toBe(true);
    // The new delivery is on the page, and once sent it says so.
    await expect
      .poll(
        async () => {
          await page.reload();
          const rows = page.locator("article.event").first().locator("table.deliveries tbody tr");
          return (await rows.count()) === 2 ? await rows.nth(1).textContent() : "";
        },
        { timeout: 30_000, interval: 500 },
      )
      .toMatch(/replay.*succeeded/);
    await page.screenshot({ path: artifact("console-case-replayed.png"), fullPage: true });
    expect(dialogs).toEqual([]);
  });

  it("shows the open issue first on the overview and on the Issues page, acknowledges it, then resolves it", async () => {
    await page.goto(`${relay.url}/console`);
    expect(await page.locator("main section").first().getAttribute("id")).toBe("open-issues");
    expect(await page.locator(`#open-issues tr#${issueId}`).textContent()).toContain("endpoint.failing");
    await page.click('header nav a:has-text("Issues")');
    await page.waitForURL(`${relay.url}/console/issues`);
    expect(await page.textContent("h1")).toContain("Issues");
    const row = page.locator(`tr#${issueId}`);
    expect(await row.textContent()).toContain("endpoint.failing");
    expect(await row.textContent()).toContain("/gone");
    expect(await row.locator(".badge").last().textContent()).toBe("open");
    await page.screenshot({ path: artifact("console-issues.png"), fullPage: true });

    await row.locator('button:has-text("Acknowledge")').click();
    await page.waitForURL(/status=acknowledged&done=issue-acknowledged/);
    expect(await page.textContent(".notice")).toContain("Issue acknowledged");
    expect(await page.locator(`tr#${issueId} .badge`).last().textContent()).toBe("acknowledged");
    expect((await admin("GET", `/v1/issues/${issueId}`)).status).toBe("acknowledged");

    await page.locator(`tr#${issueId}`).locator('button:has-text("Resolve")').click();
    await page.waitForURL(/status=resolved&done=issue-resolved/);
    expect(await page.textContent(".notice")).toContain("Issue resolved");
    const resolved = page.locator(`tr#${issueId}`);
    expect(await resolved.locator(".badge").last().textContent()).toBe("resolved");
    expect(await resolved.textContent()).toContain("resolved by an operator");
    expect(await resolved.locator("button").count()).toBe(0);
    expect((await admin("GET", `/v1/issues/${issueId}`)).status).toBe("resolved");
    await page.screenshot({ path: artifact("console-issues-resolved.png"), fullPage: true });
    expect(dialogs).toEqual([]);
  });

  it("pauses and resumes the endpoint, then logs out", async () => {
    await page.goto(`${relay.url}/console`);
    const row = page.locator(`tr#${endpointId}`);
    await row.locator('button:has-text("Pause")').click();
    await page.waitForURL(/done=paused/);
    expect(await page.locator(`tr#${endpointId} .badge`).first().textContent()).toBe("paused");
    expect((await admin("GET", `/v1/endpoints/${endpointId}`)).status).toBe("paused");
    await page.locator(`tr#${endpointId}`).locator('button:has-text("Resume")').click();
    await page.waitForURL(/done=resumed/);
    expect((await admin("GET", `/v1/endpoints/${endpointId}`)).status).toBe("active");

    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/console\/login\?done=logged-out/);
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${relay.url}/console`);
    expect(page.url()).toContain("/console/login");
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
