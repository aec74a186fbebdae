// Debian's Chromium driven by playwright-core, for the console's browser tests. Never downloads a
// browser: when /usr/bin/chromium is missing the tests skip (and say so).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ROOT } from "../../scripts/lib/relay.mjs";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = () => existsSync(CHROMIUM);

/** Where screenshots go (gitignored), created on first use. */
export function artifact(name) {
  const dir = join(ROOT, "test", "artifacts");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export function docsFile(name) {
  const dir = join(ROOT, "docs");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

export const fileSize = (path) => statSync(path).size;

/**
 * Headless Chromium with a fresh profile (removed by close()). The flags let it run as root in a
 * container and keep it from calling home (updates, sync, field trials) during a test.
 */
export async function launchChromium({ viewport = { width: 1280, height: 860 } } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "caserelay-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    viewport,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return {
    context,
    page,
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
