// A Chromium from the registry or the machine (test/helpers/chromium-path.ts), driven by playwright-core:
// nothing downloads a browser. Every request that is not the page's own file is recorded and refused, so
// a test can prove a page fetches nothing.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { inject } from "vitest";
import { CHROMIUM_FIX } from "./chromium-path.ts";
import { REPO_ROOT } from "./tmp.ts";

/** Screenshots for a person to look at (git-ignored). */
export const TEST_OUTPUT = join(REPO_ROOT, "test-output");

export async function launchChromium(): Promise<Browser> {
  const executablePath = inject("chromium");
  if (!executablePath) throw new Error(`no Chromium: ${CHROMIUM_FIX}`);
  // The flags keep Chromium from reaching out on its own (this machine has no network); no zygote
  // process, which the serverless build (@sparticuz/chromium) cannot start.
  return chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--no-zygote",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

export interface OpenedPage {
  page: Page;
  /** URLs the page tried to fetch beyond its own file (each refused). */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

export async function openFile(browser: Browser, file: string, viewport = { width: 1280, height: 1000 }): Promise<OpenedPage> {
  // A fixed locale: under LANG=C Chromium reports "en-US@posix", which Intl (and so uPlot) rejects.
  const page = await browser.newPage({ viewport, locale: "en-US" });
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url === `file://${file}`) return route.continue();
    requests.push(url);
    return route.abort();
  });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`file://${file}`);
  await page.waitForSelector("main:not([aria-busy])");
  return { page, requests, errors };
}

export function screenshotPath(name: string): string {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return join(TEST_OUTPUT, name);
}
