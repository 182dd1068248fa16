import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { defaultDashboardRoot } from "../../src/transport/dashboard/dashboard-assets.js";

/** Debian's chromium; never a downloaded browser. */
export const chromiumPath = "/usr/bin/chromium";

/** Where the browser tests leave their screenshots (ignored by git). */
export const artifactsDir = join("test-artifacts", "dashboard");

/** Fails early, with what to run, when the dashboard's assets were not built. */
export function requireBuiltDashboard(): void {
  if (!existsSync(join(defaultDashboardRoot(), "index.html"))) {
    throw new Error("dist/dashboard is missing: run `npm run build:dashboard` (npm test does it for you)");
  }
}

export function launchBrowser(): Promise<Browser> {
  requireBuiltDashboard();
  return launchChromium();
}

/** Headless Debian chromium, for pages that are not the dashboard; `extraArgs` go on its command line. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}

/** A page whose uncaught errors are collected, so a test can check none happened. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(url);
  return { page, pageErrors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  // The body, not the window: as tall as the content, without a blank tail.
  await page.locator("body").screenshot({ path: join(artifactsDir, `${name}.png`) });
}
