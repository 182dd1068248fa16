import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Browser, Page } from "playwright-core";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { testImage } from "../support/engine.js";
import { buildImage, deleteFromRegistry, registryHost, removeImages, uniqueRepository } from "../support/images.js";
import { docker, run } from "../support/run.js";
import { scaled } from "../support/time-scale.js";
import { useTestServer } from "../support/server-fixture.js";

// Functions passed to page.evaluate run in the browser; these name the little of the DOM they
// use, since the tests are type-checked without the DOM library.
declare const window: { seen: string[] };
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
declare const getComputedStyle: (el: DomElement) => { color: string; backgroundColor: string };
interface DomElement {
  id: string;
  textContent: string | null;
  parentElement: DomElement | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
  activeElement: DomElement | null;
};

/** Prints a numbered line each second, so its logs always have something new. */
const ticker = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done"];

interface TextCheck {
  equals?: string;
  includes?: string;
}

/** Text of the first element matching `selector`, once it equals or includes what is asked (no fixed sleeps). */
async function waitForText(page: Page, selector: string, check: TextCheck, timeout = 60_000): Promise<string> {
  const handle = await page.waitForFunction(
    ({ selector, check }) => {
      const text = document.querySelector(selector)?.textContent;
      if (text == null) return false;
      if (check.equals !== undefined && text !== check.equals) return false;
      if (check.includes !== undefined && !text.includes(check.includes)) return false;
      return text;
    },
    { selector, check },
    { timeout },
  );
  return String(await handle.jsonValue());
}

describe("the dashboard in a real browser, over gRPC-web", () => {
  const fx = useTestServer();
  let browser: Browser;
  const published: Array<{ repository: string; digest: string }> = [];
  const localImages: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    removeImages(localImages);
    for (const p of published) await deleteFromRegistry(p.repository, p.digest);
  });

  it("scales a service to 3 with the UI and shows 3 running, live", async () => {
    const name = fx.service("dash-scale");
    await fx.createService(name, { command: ticker });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services`);
    const cell = `tr[data-service="${name}"] [data-col=running]`;
    await waitForText(page, cell, { equals: "0" });

    await page.getByLabel(`Replicas of ${name}`).fill("3");
    await page.locator(`tr[data-service="${name}"]`).getByRole("button", { name: "Scale", exact: true }).click();
    await waitForText(page, cell, { equals: "3" });
    await waitForText(page, `tr[data-service="${name}"] [data-col=ready]`, { equals: "3" });

    const { status } = await clientFor(Scaler, fx.server.url).getStatus({ name });
    expect(status?.desired).toBe(3);
    expect(status?.running).toBe(3);
    await screenshot(page, "services");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows the count drop and come back when a container is killed on the engine, with no reload", async () => {
    const name = fx.service("dash-kill");
    await fx.createService(name, { command: ticker });
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 3 });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services`);
    const cell = `tr[data-service="${name}"] [data-col=running]`;
    await waitForText(page, cell, { equals: "3" });
    // Every value the cell shows from now on, in order: the drop may last a moment only.
    await page.evaluate((selector) => {
      const seen: string[] = [];
      window.seen = seen;
      const el = document.querySelector(selector)!;
      new MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    }, cell);
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));

    const { status } = await clientFor(Scaler, fx.server.url).getStatus({ name });
    const victim = status!.containers[1].id;
    const killed = await run("docker", ["kill", victim]);
    expect(killed.code, killed.stderr).toBe(0);

    await page.waitForFunction(
      () => {
        const seen = window.seen;
        const drop = seen.findIndex((v) => Number(v) < 3);
        return drop >= 0 && seen.slice(drop).includes("3");
      },
      undefined,
      { timeout: 60_000 },
    );
    expect(await page.locator(cell).textContent()).toBe("3");
    expect(navigations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows, live, a log line the container printed after the page opened, and its CPU and memory", async () => {
    const name = fx.service("dash-logs");
    await fx.createService(name, { command: ticker });
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 1 });
    const { status } = await clientFor(Scaler, fx.server.url).getStatus({ name });
    const id = status!.containers[0].id;
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    await waitForText(page, `pre[data-log="${id}"]`, { includes: "tick" });

    const marker = `printed-after-the-page-opened-${Date.now()}`;
    // Written to the container's own stdout (PID 1 is docker-init), so it is a log line.
    const wrote = await run("docker", ["exec", id, "sh", "-c", `echo ${marker} > /proc/1/fd/1`]);
    expect(wrote.code, wrote.stderr).toBe(0);
    await waitForText(page, `pre[data-log="${id}"]`, { includes: marker });
    expect(await page.locator(`pre[data-log="${id}"]`).textContent()).toContain(marker);
    // The same container's CPU and memory, live from StreamStats.
    await waitForText(page, "section.stats figure:nth-of-type(1) figcaption", { includes: " %" });
    await waitForText(page, "section.stats figure:nth-of-type(2) figcaption", { includes: "iB" });
    await screenshot(page, "service");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("pulls an image from the local registry, with progress shown", async () => {
    const repository = uniqueRepository("dash-pull", registryHost);
    const ref = `${repository}:1`;
    localImages.push(buildImage(ref), ref);
    const pushed = await run("docker", ["push", ref]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    if (digest) published.push({ repository, digest });
    await clientFor(ContainerAgent, fx.server.url).deleteImage({ image: ref });

    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/images`);
    await page.getByLabel("Image to pull").fill(ref);
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    // The outcome line appears when the stream ends, pulled or failed.
    const outcome = await waitForText(page, "[data-pull] [role=status]", {}, 120_000);
    expect(outcome).toContain(`Pulled ${ref}`);
    expect(await page.locator("#pull-progress").getAttribute("value")).toBe("100");
    expect(await page.locator("[data-pull] li").count()).toBeGreaterThan(0);
    await waitForText(page, `tr[data-image="${ref}"] th`, { includes: ref });
    await screenshot(page, "images");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows the server's message next to the field of an invalid definition edit", async () => {
    const name = fx.service("dash-edit");
    await fx.createService(name, { command: ticker });
    const badImage = "Not A Valid Image";
    let expected = "";
    try {
      await clientFor(ServiceRegistry, fx.server.url).updateService({
        service: { name, image: badImage, command: ticker },
      });
    } catch (err) {
      expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
      expected = ConnectError.from(err).rawMessage;
    }
    expect(expected).toMatch(/^(service\.)?image: /);
    const field = expected.slice(0, expected.indexOf(":"));

    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    const editor = page.getByLabel(`Definition of ${name} as YAML`);
    await editor.waitFor();
    const yaml = await editor.inputValue();
    await editor.fill(yaml.replace(`image: ${testImage}`, `image: ${badImage}`));
    await page.getByRole("button", { name: "Update service" }).click();
    const problem = page.locator("#definition-problem");
    await problem.waitFor();
    expect(await problem.getAttribute("data-field")).toBe(field);
    expect(await problem.textContent()).toContain(expected);
    // It sits right under the field it is about, and the field says it is invalid.
    expect(await editor.getAttribute("aria-invalid")).toBe("true");
    expect(await editor.getAttribute("aria-describedby")).toBe("definition-problem");
    const { service } = await clientFor(ServiceRegistry, fx.server.url).getService({ name });
    expect(service?.image).toBe(testImage);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("shows a rolling update's progress, and rolls it back with the Rollback button", async () => {
    const name = fx.service("dash-rollout");
    const fast = { parallelism: 1, monitor: { seconds: 1n } };
    await fx.createService(name, { command: ticker, updateConfig: fast });
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 2 });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services`);
    const cell = `tr[data-service="${name}"] [data-col=update]`;
    await waitForText(page, `tr[data-service="${name}"] [data-col=running]`, { equals: "2" });
    // Every text the update cell shows, in order: the steps of a rollout come and go.
    await page.evaluate((selector) => {
      const seen: string[] = [];
      window.seen = seen;
      const el = document.querySelector(selector)!;
      new MutationObserver(() => seen.push(el.textContent ?? "")).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    }, cell);

    const registry = clientFor(ServiceRegistry, fx.server.url);
    await registry.updateService({
      service: { name, image: testImage, command: ticker, init: true, environment: { ROUND: "2" }, updateConfig: fast },
    });
    await waitForText(page, cell, { includes: "completed v1→v2" }, 120_000);
    const steps = await page.evaluate(() => window.seen);
    expect(steps.some((t) => t.startsWith("updating v1→v2"))).toBe(true);
    expect(steps.some((t) => /of 2 on v2/.test(t))).toBe(true);

    await page.locator(`tr[data-service="${name}"]`).getByRole("button", { name: "Rollback" }).click();
    await waitForText(page, cell, { includes: "rolled back v2→v3" }, 120_000);
    const { service } = await registry.getService({ name });
    expect(service?.environment).toEqual({});
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("can be used with the keyboard alone, and its text has readable contrast", async () => {
    const name = fx.service("dash-keys");
    await fx.createService(name, { command: ticker });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services`);
    await waitForText(page, `tr[data-service="${name}"] [data-col=running]`, { equals: "0" });
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return { id: el?.id ?? "", text: el?.textContent ?? "", label: el?.getAttribute("aria-label") ?? "" };
      });

    await page.keyboard.press("Tab");
    expect((await focused()).text).toBe("Skip to content");
    // Tab on until the replicas field of this service, type a count, press Enter.
    for (let i = 0; i < 60 && (await focused()).id !== `scale-${name}`; i++) await page.keyboard.press("Tab");
    expect((await focused()).id).toBe(`scale-${name}`);
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type("2");
    await page.keyboard.press("Enter");
    await waitForText(page, `tr[data-service="${name}"] [data-col=running]`, { equals: "2" });

    // Delete asks in place, with the focus on the answer; Escape takes the question back.
    for (let i = 0; i < 10 && (await focused()).text !== "Delete"; i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.textContent === "Yes, delete");
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.activeElement?.textContent === "Delete");
    expect(await page.locator(".confirm").count()).toBe(0);

    // WCAG AA: 4.5:1 for every piece of text on the page against what is behind it.
    const worst = await page.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
      };
      const background = (el: DomElement | null): number[] => {
        for (let at = el; at; at = at.parentElement) {
          const c = rgb(getComputedStyle(at).backgroundColor);
          if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
        }
        return [255, 255, 255];
      };
      let lowest = { ratio: 21, text: "" };
      for (const el of document.querySelectorAll("h1, h2, a, th, td, button, label, span, strong, p, li, pre")) {
        if (!el.textContent?.trim()) continue;
        const [fg, bg] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < lowest.ratio) lowest = { ratio, text: el.textContent.trim().slice(0, 40) };
      }
      return lowest;
    });
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("says why a scaled service runs nothing: the condition on its page and a mark in the list, gone once the image appears", async () => {
    const name = fx.service("dash-stuck");
    const image = `${uniqueRepository("dash-never-pushed", registryHost)}:1`;
    localImages.push(image);
    await clientFor(ServiceRegistry, fx.server.url).createService({
      service: { name, image, command: ["sleep", "3600"], init: true },
    });
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 1, wait: false });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services`);
    await waitForText(page, `tr[data-service="${name}"] [data-col=stuck]`, { includes: "Image cannot be pulled" });
    await page.goto(`${fx.server.url}/#/services/${name}`);
    const shown = await waitForText(page, "[data-condition=image_pull_failed]", { includes: image });
    expect(shown).toContain("Image cannot be pulled");
    expect(await page.getByText("No containers yet, though 1 desired: see why above.").count()).toBe(1);
    await screenshot(page, "service-condition");
    docker("tag", testImage, image);
    // The next pass (at the latest the 30 s resync) finds the image and runs the container.
    await waitForText(page, "[data-col=running]", { equals: "1" }, scaled(120_000));
    await page.waitForFunction(() => document.querySelector("[data-condition]") === null, undefined, {
      timeout: scaled(60_000),
    });
    expect(pageErrors).toEqual([]);
    await page.close();
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 0, wait: true });
  });

  it("shows the containers, events and engine views", async () => {
    const name = fx.service("dash-views");
    await fx.createService(name, { command: ticker });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/events`);
    await waitForText(page, "[role=status]", { equals: "Watching." });
    await clientFor(Scaler, fx.server.url).scale({ name, replicas: 1 });
    await page
      .locator("table.events tbody tr", { hasText: `${name}-1` })
      .first()
      .waitFor();
    await screenshot(page, "events");

    await page.getByRole("link", { name: "Containers" }).click();
    await page.locator(`tr[data-container="${name}-1"]`).waitFor();
    await page
      .locator(`tr[data-container="${name}-1"]`)
      .getByRole("button", { name: /^Details/ })
      .click();
    // The console takes a command line quoted as a shell would.
    await page.getByLabel("Command", { exact: true }).fill("sh -c 'echo hello-from-exec'");
    await page.getByRole("button", { name: "Open terminal" }).click();
    await waitForText(page, "[data-console-outcome]", { equals: "exited with code 0" });
    await waitForText(page, ".console-terminal .xterm-rows", { includes: "hello-from-exec" });
    await screenshot(page, "containers");

    await page.getByRole("link", { name: "Engine" }).click();
    await waitForText(page, "[data-health]", { equals: "serving" });
    await page.locator("dl.info").waitFor();
    await screenshot(page, "engine");
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
