import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { AutoscaleMetric } from "../../gen/dockhand/v1/service_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { lowestContrast } from "../support/contrast.js";
import { testImage } from "../support/engine.js";
import { waitForText } from "../support/page-text.js";
import { useTestServer } from "../support/server-fixture.js";

/** The service page charts the autoscaler's decisions: replicas over time against the metric. */
describe("the dashboard's autoscale chart", () => {
  const fx = useTestServer();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows each decision as it comes, a point per decision: the hold at min on CPU, then the way back from a person's Scale", async () => {
    const name = fx.service("dash-autoscale");
    await clientFor(ServiceRegistry, fx.server.url).createService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        autoscale: {
          minReplicas: 1,
          maxReplicas: 3,
          metric: AutoscaleMetric.CPU_PERCENT,
          target: 50,
          evaluationInterval: { seconds: 1n },
          cooldownDown: { seconds: 0n },
        },
      },
    });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    // The idle replica at min: the count holds.
    await waitForText(page, "[data-col=autoscale-decision]", { matches: "1 → 1, cpu [\\d.]+% vs target 50%" });
    // A person scales to 3; the next evaluation finds them idle and brings the count back to min.
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 3, wait: false });
    await waitForText(page, "[data-col=autoscale-decision]", {
      matches: "3 → 1, cpu [\\d.]+% vs target 50% .*: 3 -> 1",
    });
    expect(await page.locator(".autoscale circle").count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole("img", { name: /^Replicas over time, from \d to 1, against CPU %$/ }).count()).toBe(1);
    await screenshot(page, "autoscale-chart");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);
    expect(pageErrors).toEqual([]);
  });
});
