import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { requireEngine, testImage } from "../support/engine.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";

// Functions passed to page.waitForFunction run in the browser; the tests are type-checked without the DOM.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

describe("the dashboard when dockhand goes away and comes back", () => {
  let browser: Browser;
  let engine: Awaited<ReturnType<typeof requireEngine>>;
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-dash-reconnect-"));
  const name = uniqueServiceName("dash-reconnect");
  const servers: TestServer[] = [];

  beforeAll(async () => {
    engine = await requireEngine();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.close();
    if (engine) await removeServiceContainers(engine, [name]);
    removeDataDir(dataDir);
  });

  it("shows a banner while dockhand is gone, then reconnects its stream by itself, with no reload", async () => {
    const first = await startTestServer(engine, { dataDir, shutdownGraceMs: 500 });
    servers.push(first);
    await clientFor(ServiceRegistry, first.url).createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    await clientFor(Scaler, first.url).scale({ name, replicas: 1 });
    const { page, pageErrors } = await openPage(browser, `${first.url}/#/services`);
    const running = (n: string) =>
      page.waitForFunction(
        ([s, want]) => document.querySelector(s)?.textContent === want,
        [`tr[data-service="${name}"] [data-col=running]`, n] as const,
        { timeout: 60_000 },
      );
    await running("1");
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));

    await first.close();
    servers.pop();
    const banner = page.locator(".banner", { hasText: "connection to dockhand was lost" });
    await banner.waitFor();
    await screenshot(page, "connection-lost");

    const second = await startTestServer(engine, { dataDir, port: first.port, shutdownGraceMs: 500 });
    servers.push(second);
    await banner.waitFor({ state: "detached", timeout: 60_000 });
    // The reopened stream is live: a change made now shows without a reload.
    await clientFor(Scaler, second.url).scale({ name, replicas: 2 });
    await running("2");
    expect(navigations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
