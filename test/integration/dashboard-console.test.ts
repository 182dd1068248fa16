import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { waitForText } from "../support/page-text.js";
import { useTestServer } from "../support/server-fixture.js";
import { scaled } from "../support/time-scale.js";
import { until } from "../support/until.js";

// Functions passed to page.evaluate run in the browser; the tests are type-checked without the DOM.
declare function getComputedStyle(element: unknown): { color: string };
declare const document: {
  querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
};

/** Opens the console on the page's chosen container and waits until its shell runs. */
async function openTerminal(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Open terminal" }).click();
  await page.locator(".console-terminal[data-state=running]").waitFor({ timeout: scaled(60_000) });
  await page.locator(".console-terminal .xterm-helper-textarea").focus();
}

/** Types a line into the terminal, as keys. */
async function typeLine(page: Page, line: string): Promise<void> {
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}

/** The terminal's size as the page's terminal counts it. */
async function terminalSize(page: Page): Promise<string> {
  return page.evaluate(() => {
    const host = document.querySelector(".console-terminal");
    return `${host?.getAttribute("data-rows")} ${host?.getAttribute("data-columns")}`;
  });
}

describe("the dashboard's console", () => {
  const fx = useTestServer();
  let browser: Browser;
  let name = "";

  beforeAll(async () => {
    browser = await launchBrowser();
    name = fx.service("dash-console");
    await fx.createService(name);
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 1, wait: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("types echo hello-$((6*7)) into a replica's terminal in the service's view and sees hello-42, then the exit code", async () => {
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    await page.getByRole("region", { name: `Console of ${name}-1` }).waitFor();
    await openTerminal(page);
    await typeLine(page, "echo hello-$((6*7))");
    await waitForText(page, ".console-terminal .xterm-rows", { includes: "hello-42" });
    // The terminal's own colours apply under the page's content security policy: light text on black.
    const color = await page.evaluate(
      () => getComputedStyle(document.querySelector(".console-terminal .xterm-rows")!).color,
    );
    const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number);
    expect(r! + g! + b!, color).toBeGreaterThan(600);
    await screenshot(page, "console-hello");
    await typeLine(page, "exit 3");
    await waitForText(page, "[data-console-outcome]", { equals: "exited with code 3" });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("follows the page's size: stty size in the container's terminal changes with the window", async () => {
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/containers?service=${name}`);
    await page.locator(`tr[data-container="${name}-1"] button[aria-pressed]`).click();
    await openTerminal(page);
    const before = await terminalSize(page);
    await typeLine(page, "stty size");
    await waitForText(page, ".console-terminal .xterm-rows", { includes: before });
    await page.setViewportSize({ width: 820, height: 700 });
    await page.waitForFunction(
      (before) => {
        const host = document.querySelector(".console-terminal");
        return `${host?.getAttribute("data-rows")} ${host?.getAttribute("data-columns")}` !== before;
      },
      before,
      { timeout: scaled(30_000) },
    );
    // The page may fit the terminal more than once as it lays out again: stty size is asked
    // again until it answers the size the page's terminal has at that moment.
    let after = "";
    await until(async () => {
      after = await terminalSize(page);
      await typeLine(page, "clear; stty size");
      return waitForText(page, ".console-terminal .xterm-rows", { includes: after }, 5_000).then(
        () => true,
        () => false,
      );
    });
    expect(after).not.toBe(before);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("uploads a file into the container and downloads it back", async () => {
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    const files = page.getByRole("group", { name: `Files of ${name}-1` });
    await files.waitFor();
    await files.getByLabel("File to upload").setInputFiles({
      name: "greeting.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("hello from the browser\n"),
    });
    await files.getByLabel("into").fill("/");
    await files.getByRole("button", { name: "Upload", exact: true }).click();
    await waitForText(page, "[data-transfer-outcome]", { equals: "uploaded /greeting.txt (23 bytes)" });
    await files.getByLabel("Download from").fill("/greeting.txt");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      files.getByRole("button", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("greeting.txt");
    expect(readFileSync((await download.path())!, "utf8")).toBe("hello from the browser\n");
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
