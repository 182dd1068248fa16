import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceMountType } from "../../gen/dockhand/v1/service_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { lowestContrast } from "../support/contrast.js";
import { testImage } from "../support/engine.js";
import { waitForText } from "../support/page-text.js";
import { docker, dockerQuietly } from "../support/run.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

// Functions passed to page.evaluate run in the browser; the tests are type-checked without the DOM.
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};

/** The HTTP status an address answers a GET with. */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

describe("the dashboard's containers, inspect and events views", () => {
  const fx = useTestServer();
  let browser: Browser;
  const scaler = () => clientFor(Scaler, fx.server.url);
  const foreign = `dash-foreign-${process.pid}-${Date.now().toString(36)}`;
  const volume = `dash-inspect-${process.pid}-${Date.now().toString(36)}`;
  /** A service whose health check (every second) passes, publishing busybox's httpd on 127.0.0.1. */
  let checked = "";

  beforeAll(async () => {
    browser = await launchBrowser();
    docker("run", "-d", "--init", "--name", foreign, testImage, "sleep", "3600");
    checked = fx.service("dash-health");
    await fx.createService(checked, {
      command: ["httpd", "-f", "-p", "8080"],
      ports: [{ containerPort: 8080, hostPort: 0, hostIp: "127.0.0.1" }],
      healthCheck: { shell: "true", interval: { seconds: 1n } },
    });
    await scaler().scale({ name: checked, replicas: 1 });
  });
  afterAll(async () => {
    await browser?.close();
    dockerQuietly("rm", "-f", foreign);
    dockerQuietly("volume", "rm", "-f", volume);
  });

  it("lists dockhand's own containers by default, everything on request, and one service's", async () => {
    const other = fx.service("dash-other");
    await fx.createService(other);
    await scaler().scale({ name: other, replicas: 1 });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/containers`);
    await page.locator(`tr[data-container="${other}-1"]`).waitFor();
    await page.locator(`tr[data-container="${checked}-1"]`).waitFor();
    expect(await page.locator(`tr[data-container="${foreign}"]`).count()).toBe(0);
    expect(await page.locator(`tr[data-container="${other}-1"] [data-col=service]`).textContent()).toBe(other);

    await page.getByLabel("Show").selectOption("all");
    const row = page.locator(`tr[data-container="${foreign}"]`);
    await row.waitFor();
    expect(await row.locator("[data-col=service]").textContent()).toBe("not dockhand's");
    await row.getByRole("button", { name: "Delete" }).click();
    expect(await row.getByRole("group").getAttribute("aria-label")).toBe(
      `${foreign} is not dockhand's: delete it anyway?`,
    );
    await row.getByRole("button", { name: "Cancel" }).click();
    await screenshot(page, "containers-all");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);

    await page.getByLabel("Service").selectOption(other);
    await page.waitForURL(`**/#/containers?service=${other}`);
    await page.locator(`tr[data-container="${checked}-1"]`).waitFor({ state: "detached" });
    await page.locator(`tr[data-container="${other}-1"]`).waitFor();
    expect(await page.locator("table.containers tbody tr").count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows the health the status text gives, and links each published port to its endpoint", async () => {
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/containers?service=${checked}`);
    const row = `tr[data-container="${checked}-1"]`;
    await waitForText(page, `${row} td:nth-of-type(4)`, { includes: "(healthy)" });
    await waitForText(page, `${row} [data-col=health]`, { equals: "healthy" });
    const link = page.locator(`${row} [data-col=ports] a`);
    const href = await link.getAttribute("href");
    const { status } = await scaler().getStatus({ name: checked });
    const port = status!.containers[0].ports.find((p) => p.containerPort === 8080)!;
    expect(href).toBe(`http://127.0.0.1:${port.hostPort}/`);
    expect(await link.textContent()).toBe(`127.0.0.1:${port.hostPort} → 8080/tcp`);
    // httpd answers there (404: it serves no files), so the link leads to the service.
    expect(await httpStatus(href!)).toBe(404);
    // The service's own page links the same endpoint.
    await page.goto(`${fx.server.url}/#/services/${checked}`);
    expect(await page.locator(`tr[data-container="${checked}-1"] [data-col=ports] a`).getAttribute("href")).toBe(href);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("inspects a container: its environment, mounts and labels", async () => {
    const name = fx.service("dash-inspect");
    await fx.createService(name, {
      environment: { MODE: "blue", GREETING: "hello world" },
      labels: { team: "core" },
      mounts: [{ type: ServiceMountType.VOLUME, target: "/data", source: volume }],
    });
    await scaler().scale({ name, replicas: 1 });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/containers?service=${name}`);
    await page.getByRole("link", { name: `${name}-1` }).click();
    const view = page.locator(`[data-inspect="${name}-1"]`);
    await view.waitFor();
    await waitForText(page, "dl[aria-label=Environment]", { includes: "MODE" });
    const pairs = (label: string) =>
      page.evaluate(
        (label) => [...document.querySelectorAll(`dl[aria-label=${label}] > div`)].map((el) => el.textContent ?? ""),
        label,
      );
    expect(await pairs("Environment")).toEqual(["GREETINGhello world", "MODEblue"]);
    expect(await pairs("Labels")).toEqual(expect.arrayContaining(["teamcore", `dockhand.service${name}`]));
    expect(await view.locator('tr[data-mount="/data"]').textContent()).toBe(`/datavolume ${volume}read-write`);
    expect(await view.textContent()).toContain("sleep 3600");
    await screenshot(page, "container-inspect");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("hides health-check exec events by default, shows them on request, and filters by action", async () => {
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/events`);
    await waitForText(page, "[role=status]", { equals: "Watching." });
    // The health check runs every second: its exec events arrive and are counted, not listed.
    await page.locator("[data-hidden-exec]").waitFor();
    const actions = () =>
      page.evaluate(() => [...document.querySelectorAll("table.events [data-col=action]")].map((el) => el.textContent));
    expect((await actions()).filter((a) => a?.startsWith("exec_"))).toEqual([]);

    await page.getByLabel("Show exec events").check();
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page
      .locator("table.events [data-col=action]", { hasText: /^exec_/ })
      .first()
      .waitFor();
    await screenshot(page, "events-exec");

    await page.getByLabel("Show exec events").uncheck();
    await page.getByLabel("Action").selectOption("start");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await until(async () => (await actions()).length === 0);
    const started = fx.service("dash-started");
    await fx.createService(started);
    await scaler().scale({ name: started, replicas: 1 });
    await page.locator("table.events tbody tr", { hasText: `${started}-1` }).waitFor();
    expect(new Set(await actions())).toEqual(new Set(["start"]));
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
