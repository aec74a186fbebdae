// Types for browser.mjs.
import type { BrowserContext, Page } from "playwright-core";

export const CHROMIUM: string;
export function hasChromium(): boolean;
export function artifact(name: string): string;
export function docsFile(name: string): string;
export function fileSize(path: string): number;
export function launchChromium(opts?: {
  viewport?: { width: number; height: number };
}): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }>;
