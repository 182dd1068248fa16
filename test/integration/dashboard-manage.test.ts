import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Browser, Page } from "playwright-core";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { lowestContrast } from "../support/contrast.js";
import { testImage } from "../support/engine.js";
import { waitForText } from "../support/page-text.js";
import { dockerQuietly } from "../support/run.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

// Functions passed to page.evaluate run in the browser; the tests are type-checked without the DOM.
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};

/** The code a call fails with, or "ok". */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return "ok";
  } catch (err) {
    return Code[ConnectError.from(err).code];
  }
}

/** Answers the in-place "sure?" of a Delete button in `row`. */
async function confirmDelete(row: ReturnType<Page["locator"]>): Promise<void> {
  await row.getByRole("button", { name: "Delete" }).click();
  await row.getByRole("button", { name: "Yes, delete" }).click();
}

describe("the dashboard manages: create, resources, restart and redeploy, merged logs", () => {
  const fx = useTestServer();
  let browser: Browser;
  const volumes: string[] = [];
  const networks: string[] = [];
  const registry = () => clientFor(ServiceRegistry, fx.server.url);
  const agent = () => clientFor(ContainerAgent, fx.server.url);
  const scaler = () => clientFor(Scaler, fx.server.url);

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    for (const v of volumes) dockerQuietly("volume", "rm", "-f", v);
    for (const n of networks) dockerQuietly("network", "rm", n);
  });

  it("creates a service from the form, showing the server's refusal at the field it names first", async () => {
    const name = fx.service("dash-create-form");
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/create-service`);
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Image", { exact: true }).fill("Not A Valid Image");
    await page.getByLabel("Command", { exact: true }).fill('sh -c "echo up; sleep 3600"');
    await page.getByLabel("Environment", { exact: true }).fill("GREETING=hello world\nMODE=blue");
    await page.getByRole("button", { name: "Create service" }).click();

    const problem = page.locator("#create-image-problem");
    await problem.waitFor();
    expect(await problem.getAttribute("data-field")).toBe("service.image");
    expect(await problem.textContent()).toContain("InvalidArgument: service.image:");
    expect(await page.getByLabel("Image", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator(".errors li").count()).toBe(0);
    expect(await outcome(() => registry().getService({ name }))).toBe("NotFound");
    await screenshot(page, "create-service-refused");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);

    await page.getByLabel("Image", { exact: true }).fill(testImage);
    await page.getByRole("button", { name: "Create service" }).click();
    await page.waitForURL(`**/#/services/${name}`);
    await waitForText(page, "[data-col=running]", { equals: "1" });
    const { service } = await registry().getService({ name });
    expect(service?.command).toEqual(["sh", "-c", "echo up; sleep 3600"]);
    expect(service?.environment).toEqual({ GREETING: "hello world", MODE: "blue" });
    expect(service?.init).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("creates a service from YAML, with a refusal shown at its field and line, also a missing secret's", async () => {
    const name = fx.service("dash-create-yaml");
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/create-service`);
    await page.getByRole("button", { name: "YAML" }).click();
    const editor = page.getByLabel(/^Definition as YAML/);
    const yaml = (port: number, extra = "") =>
      `name: ${name}\nimage: ${testImage}\ncommand: [sleep, "3600"]\ninit: true\nports:\n  - container_port: ${port}\n${extra}replicas: 0\n`;
    await editor.fill(yaml(0));
    await page.getByRole("button", { name: "Create service" }).click();
    const problem = page.locator("#create-yaml-problem");
    await problem.waitFor();
    expect(await problem.getAttribute("data-field")).toBe("service.ports[0].container_port");
    expect(await problem.textContent()).toContain("service.ports[0].container_port (line 5): InvalidArgument");
    expect(await editor.getAttribute("aria-invalid")).toBe("true");

    await editor.fill(yaml(8080, "secrets:\n  - name: no-such-secret\n"));
    await page.getByRole("button", { name: "Create service" }).click();
    await waitForText(page, "#create-yaml-problem", { includes: "FailedPrecondition" });
    expect(await problem.getAttribute("data-field")).toBe("service.secrets[0].name");
    expect(await problem.textContent()).toContain("(line 7)");
    expect(await outcome(() => registry().getService({ name }))).toBe("NotFound");

    await editor.fill(yaml(8080));
    await page.getByRole("button", { name: "Create service" }).click();
    await page.waitForURL(`**/#/services/${name}`);
    await waitForText(page, "[data-col=desired]", { equals: "0" });
    const { service } = await registry().getService({ name });
    expect(service?.ports.map((p) => p.containerPort)).toEqual([8080]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("lists, creates and deletes volumes and networks, with a refused name shown at the field", async () => {
    const volume = fx.service("dash-vol");
    const network = fx.service("dash-net");
    volumes.push(volume);
    networks.push(network);
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/volumes`);
    const volumeForm = page.getByRole("form", { name: "Create a volume" });
    await volumeForm.getByLabel("Name").fill("/not/a/name");
    await volumeForm.getByRole("button", { name: "Create" }).click();
    await waitForText(page, "#CreateVolume-name-problem", { includes: "InvalidArgument" });
    expect(await page.locator("#CreateVolume-name-problem").getAttribute("data-field")).toBe("name");

    await volumeForm.getByLabel("Name").fill(volume);
    await volumeForm.getByLabel("Labels").fill("team=core");
    await volumeForm.getByRole("button", { name: "Create" }).click();
    const volumeRow = page.locator(`tr[data-volume="${volume}"]`);
    await volumeRow.waitFor();
    expect(await volumeRow.textContent()).toContain("team=core");
    expect((await agent().getVolume({ name: volume })).volume?.labels).toEqual({ team: "core" });
    await screenshot(page, "volumes");
    await confirmDelete(volumeRow);
    await volumeRow.waitFor({ state: "detached" });
    expect(await outcome(() => agent().getVolume({ name: volume }))).toBe("NotFound");

    await page.getByRole("link", { name: "Networks" }).click();
    const networkForm = page.getByRole("form", { name: "Create a network" });
    await networkForm.getByLabel("Name").fill(network);
    await networkForm.getByLabel("Internal").check();
    await networkForm.getByRole("button", { name: "Create" }).click();
    const networkRow = page.locator(`tr[data-network="${network}"]`);
    await networkRow.waitFor();
    expect((await agent().getNetwork({ network })).network?.internal).toBe(true);
    // The engine's own networks cannot be deleted, so they offer no Delete.
    expect(await page.locator('tr[data-network="bridge"]').getByRole("button", { name: "Delete" }).count()).toBe(0);
    await screenshot(page, "networks");
    await confirmDelete(networkRow);
    await networkRow.waitFor({ state: "detached" });
    expect(await outcome(() => agent().getNetwork({ network }))).toBe("NotFound");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("creates a secret whose value the page never shows, replaces and deletes it; reads a config back", async () => {
    const secret = fx.service("dash-secret");
    const config = fx.service("dash-config");
    const value = `my token! ${Date.now()}`;
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/secrets`);
    const form = page.getByRole("form", { name: "Create a secret" });
    await form.getByLabel("Name").fill(secret);
    await form.getByLabel("Value").fill(value);
    await form.getByRole("button", { name: "Create" }).click();
    const row = page.locator(`tr[data-name="${secret}"]`);
    await row.waitFor();
    expect(await row.locator("[data-col=version]").textContent()).toBe("1");
    expect(await form.getByLabel("Value").inputValue()).toBe("");
    expect(await page.content()).not.toContain(value);
    expect(await row.getByRole("button", { name: /^Show value/ }).count()).toBe(0);
    const { secrets } = await registry().listSecrets({});
    expect(secrets.find((s) => s.name === secret)?.sizeBytes).toBe(Buffer.byteLength(value));
    await screenshot(page, "secrets");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);

    await row.getByRole("button", { name: /^Replace value/ }).click();
    await page.getByRole("textbox", { name: `New value of ${secret}` }).fill(`${value} again`);
    await page.getByRole("button", { name: "Save" }).click();
    await waitForText(page, `tr[data-name="${secret}"] [data-col=version]`, { equals: "2" });
    expect(await page.content()).not.toContain(value);
    await confirmDelete(row);
    await row.waitFor({ state: "detached" });
    expect(await outcome(() => registry().getSecret({ name: secret }))).toBe("NotFound");

    await page.getByRole("link", { name: "Configs" }).click();
    const configForm = page.getByRole("form", { name: "Create a config" });
    await configForm.getByLabel("Name").fill(config);
    await configForm.getByLabel("Value").fill("listen 8080\n");
    await configForm.getByRole("button", { name: "Create" }).click();
    const configRow = page.locator(`tr[data-name="${config}"]`);
    await configRow.getByRole("button", { name: /^Show value/ }).click();
    await waitForText(page, `pre[data-value="${config}"]`, { equals: "listen 8080\n" });
    await confirmDelete(configRow);
    await configRow.waitFor({ state: "detached" });
    expect(await outcome(() => registry().getConfig({ name: config }))).toBe("NotFound");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("restarts a service's containers in place, and redeploys it as new containers by a rolling update", async () => {
    const name = fx.service("dash-redeploy");
    await fx.createService(name, { updateConfig: { monitor: { seconds: 1n } } });
    await scaler().scale({ name, replicas: 1 });
    const before = (await scaler().getStatus({ name })).status!.containers[0];
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    await waitForText(page, "[data-col=running]", { equals: "1" });

    await page.getByRole("button", { name: "Restart", exact: true }).click();
    await waitForText(page, "[data-note=actions]", { equals: "Restarted 1 of 1 containers." });
    const restarted = (await agent().getContainer({ id: before.id })).container!;
    expect(restarted.id).toBe(before.id);
    expect(restarted.startTime!.seconds * 1_000_000_000n + BigInt(restarted.startTime!.nanos)).toBeGreaterThan(
      before.startTime!.seconds * 1_000_000_000n + BigInt(before.startTime!.nanos),
    );

    await page.getByRole("button", { name: "Redeploy", exact: true }).click();
    await waitForText(page, "[data-col=update]", { includes: "completed v1→v2" }, 120_000);
    await until(async () => {
      const { status } = await scaler().getStatus({ name });
      return status?.running === 1 && status.containers[0].id !== before.id;
    });
    const { service } = await registry().getService({ name });
    expect(service?.version).toBe(2n);
    expect(service?.labels["redeployed-at"]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("merges every container's logs, marks stderr, shows times, and searches what is loaded", async () => {
    const name = fx.service("dash-merged");
    const chatty = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo out-$i; echo err-$i >&2; sleep 1; done"];
    await fx.createService(name, { command: chatty });
    await scaler().scale({ name, replicas: 2 });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/#/services/${name}`);
    await page.getByRole("link", { name: "Merged logs of every container" }).click();
    const logs = `[data-service-logs="${name}"]`;
    for (const slot of [1, 2])
      await page.locator(`${logs} [data-slot="${slot}"][data-stream=stderr]`).first().waitFor();
    const stderrLine = page.locator(`${logs} [data-stream=stderr]`).first();
    expect(await stderrLine.textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}slot \dstderrerr-\d+$/);
    expect(await page.locator(`${logs} [data-stream=stdout]`).first().textContent()).toMatch(/out-\d+$/);
    await screenshot(page, "service-logs");

    await page.getByLabel("Search").fill("ERR-");
    await waitForText(page, "[data-count]", { includes: "lines match" });
    const shown = await page.evaluate(
      (selector) => [...document.querySelectorAll(`${selector} > div`)].map((el) => el.textContent ?? ""),
      logs,
    );
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((line) => line.includes("err-"))).toBe(true);
    expect(await page.locator(`${logs} [data-stream=stdout]`).count()).toBe(0);
    expect(await page.locator(`${logs} mark`).first().textContent()).toBe("err-");
    const worst = await lowestContrast(page);
    expect(worst.ratio, `lowest contrast: "${worst.text}"`).toBeGreaterThanOrEqual(4.5);

    await page.getByLabel("Timestamps").uncheck();
    await page.waitForFunction(
      (selector) =>
        [...document.querySelectorAll(`${selector} > div`)].every((el) => el.textContent?.startsWith("slot")),
      logs,
    );
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
