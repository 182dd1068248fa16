import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { lowestContrast } from "../support/contrast.js";
import { testImage } from "../support/engine.js";
import { waitForText } from "../support/page-text.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";
import { scaled } from "../support/time-scale.js";

/** The service page shows a deployment's two versions, and Promote and Revert act on it. */
describe("the dashboard's deployment panel", () => {
  const fx = useTestServer();
  let browser: Browser;
  const registry = () => clientFor(ServiceRegistry, fx.server.url);
  const scaler = () => clientFor(Scaler, fx.server.url);
  const gate = { minHealthyTime: { seconds: 0n, nanos: 300_000_000 }, monitor: { seconds: 0n, nanos: 200_000_000 } };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function canaryWaiting(prefix: string): Promise<string> {
    const name = fx.service(prefix);
    const service = { name, image: testImage, command: ["sleep", "3600"], init: true, updateConfig: gate };
    await registry().createService({ service });
    await scaler().scale({ name, replicas: 2 });
    await registry().updateService({
      service: { ...service, command: ["sleep", "3601"], updateConfig: { ...gate, canary: 1 } },
    });
    await until(
      async () =>
        (await scaler().getStatus({ name })).status?.update?.message === "canaries ready: waiting for Scaler.Promote",
    );
    return name;
  }

  it("shows both versions with their counts, and Promote completes the update", async () => {
    const name = await canaryWaiting("dash-canary");
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    await waitForText(page, "[data-col=old-running]", { equals: "2" });
    await waitForText(page, "[data-col=new-running]", { equals: "1" });
    await waitForText(page, "[data-col=canaries]", { equals: "1" });
    await screenshot(page, "deployment-canary");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);
    await page
      .locator("[data-deployment]")
      .getByRole("button", { name: "Promote", exact: true })
      .click({ timeout: scaled(60_000) });
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.COMPLETED);
    // Done: no canary left, so the panel goes.
    await page.locator("[data-deployment]").waitFor({ state: "detached" });
    expect(pageErrors).toEqual([]);
  });

  it("Revert removes the canary and keeps the old version", async () => {
    const name = await canaryWaiting("dash-revert");
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    // The panel comes with the page's first status: waited for as long as a loaded machine needs.
    await waitForText(page, "[data-col=canaries]", { equals: "1" });
    await page
      .locator("[data-deployment]")
      .getByRole("button", { name: "Revert", exact: true })
      .click({ timeout: scaled(60_000) });
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.ROLLED_BACK);
    await page.locator("[data-deployment]").waitFor({ state: "detached" });
    expect((await registry().getService({ name })).service?.command).toEqual(["sleep", "3600"]);
    expect(pageErrors).toEqual([]);
  });
});
