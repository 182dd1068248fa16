import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { writeTokensFile } from "../support/tokens-file.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Browser, Page } from "playwright-core";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { launchBrowser, openPage, screenshot } from "../support/browser.js";
import { testImage } from "../support/engine.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

// Functions passed to page.evaluate run in the browser; the tests are type-checked without the DOM.
declare const localStorage: { length: number };
declare const sessionStorage: { getItem(key: string): string | null };
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const requestAnimationFrame: (callback: () => void) => void;
declare const getComputedStyle: (el: unknown) => { color: string; borderTopColor: string; cursor: string };

const tokensDir = mkdtempSync(join(tmpdir(), "dockhand-dash-auth-"));
const tokensFile = join(tokensDir, "tokens.yml");
const viewerToken = randomBytes(24).toString("base64url");
const operatorToken = randomBytes(24).toString("base64url");
/** Writes the tokens file (by rename, as a deploy tool would), with the operator's token at `operatorRole`. */
function writeTokens(operatorRole: "operator" | "viewer"): void {
  writeTokensFile(tokensFile, [
    { name: "dash-viewer", role: "viewer", token: viewerToken },
    { name: "dash-operator", role: operatorRole, token: operatorToken },
  ]);
}
writeTokens("operator");

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("the dashboard with tokens on, over Connect", () => {
  const fx = useTestServer({ authTokensFile: tokensFile, dashboardProtocol: "connect" });
  let browser: Browser;
  const operator = () => createGrpcTransport({ baseUrl: fx.server.url, interceptors: [bearer(operatorToken)] });

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(tokensDir, { recursive: true, force: true });
  });

  it("asks for a token, refuses a bad one, and shows a viewer the services with no enabled Scale button", async () => {
    const name = fx.service("dash-viewer");
    await createClient(ServiceRegistry, operator()).createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshot(page, "sign-in");

    await signIn(page, "not-a-token");
    await page.locator(".sign-in [role=alert]", { hasText: "Unauthenticated" }).waitFor();

    await signIn(page, viewerToken);
    const row = page.locator(`tr[data-service="${name}"]`);
    await row.waitFor();
    await page.locator('[data-caller="dash-viewer"]', { hasText: "(viewer)" }).waitFor();
    expect(await page.locator("header").textContent()).toContain("over Connect");
    expect(
      await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.getItem("dockhand.token") })),
    ).toEqual({ local: 0, session: viewerToken });

    // Disabled from the start (Session.WhoAmI), each saying which role it needs.
    const scale = row.getByRole("button", { name: "Scale", exact: true });
    await page.waitForFunction(
      (n) =>
        (document.querySelector(`tr[data-service="${n}"] .scale button[type=submit]`) as { disabled: boolean } | null)
          ?.disabled === true,
      name,
    );
    for (const button of [
      scale,
      row.getByRole("button", { name: `Scale ${name} up by one` }),
      row.getByRole("button", { name: "Delete" }),
    ]) {
      expect(await button.isDisabled()).toBe(true);
    }
    expect(await row.locator("form.scale").getAttribute("title")).toContain("needs the operator role");
    await screenshot(page, "viewer");
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("lets an operator scale, shows PERMISSION_DENIED with the role needed once the token is demoted, and signs out", async () => {
    const name = fx.service("dash-operator");
    await createClient(ServiceRegistry, operator()).createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    const { page, pageErrors } = await openPage(browser, `${fx.server.url}/`);
    await signIn(page, operatorToken);
    const row = page.locator(`tr[data-service="${name}"]`);
    await row.waitFor();
    await page.locator('[data-caller="dash-operator"]', { hasText: "(operator)" }).waitFor();
    await row.getByRole("button", { name: `Scale ${name} up by one` }).click();
    await page.waitForFunction(
      (n) => document.querySelector(`tr[data-service="${n}"] [data-col=running]`)?.textContent === "1",
      name,
      { timeout: 60_000 },
    );

    // The token loses its role while the page is open: the page learns it from the refusal.
    writeTokens("viewer");
    await until(async () => {
      try {
        await createClient(Scaler, operator()).scale({ name, replicas: 1 });
        return false;
      } catch (err) {
        return ConnectError.from(err).code === Code.PermissionDenied;
      }
    });
    await row.getByRole("button", { name: `Scale ${name} up by one` }).click();
    const denied = page.locator('.errors [data-code="PermissionDenied"]');
    await denied.waitFor();
    expect(await denied.textContent()).toContain("needs the operator role");
    await page.waitForFunction(
      (n) =>
        (document.querySelector(`tr[data-service="${n}"] .scale button[type=submit]`) as { disabled: boolean } | null)
          ?.disabled === true,
      name,
    );
    const { status } = await createClient(
      Scaler,
      createGrpcTransport({ baseUrl: fx.server.url, interceptors: [bearer(viewerToken)] }),
    ).getStatus({ name });
    expect(status?.desired).toBe(1);
    await screenshot(page, "permission-denied");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("dockhand.token"))).toBeNull();
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("opens on the sign-in form alone, and tells a viewer which role Scale, Start and Stop need, with Delete grey", async () => {
    const name = fx.service("dash-tooltips");
    // The test before demoted the operator's token: it gets its role back (the file is re-read when it changes).
    writeTokens("operator");
    await until(async () => {
      await createClient(ServiceRegistry, operator()).createService({
        service: { name, image: testImage, command: ["sleep", "3600"], init: true },
      });
      return true;
    });
    await createClient(Scaler, operator()).scale({ name, replicas: 1 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    // Both calls the page makes at once are refused; the banners would show once both answers are read.
    const answered = new Set<string>();
    const done = (r: { url(): string }) => answered.add(r.url().split("/").pop() ?? "");
    page.on("requestfinished", done);
    page.on("requestfailed", done);
    await page.goto(`${fx.server.url}/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await until(() => answered.has("WhoAmI") && answered.has("WatchServices"));
    await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(undefined)))),
    );
    expect(await page.locator(".errors li").count()).toBe(0);
    expect(await page.getByText("Unauthenticated").count()).toBe(0);

    await signIn(page, viewerToken);
    await page.locator('[data-caller="dash-viewer"]').waitFor();
    const row = page.locator(`tr[data-service="${name}"]`);
    for (const button of [
      row.getByRole("button", { name: "Scale", exact: true }),
      row.getByRole("button", { name: `Scale ${name} up by one` }),
      row.getByRole("button", { name: `Scale ${name} down by one` }),
    ]) {
      expect(await button.getAttribute("title")).toBe(
        "/dockhand.v1.Scaler/Scale needs the operator role; dash-viewer has viewer",
      );
    }

    await page.getByRole("link", { name: "Containers" }).click();
    const container = page.locator(`tr[data-container="${name}-1"]`);
    await container.waitFor();
    for (const verb of ["Start", "Stop"]) {
      const button = container.getByRole("button", { name: verb, exact: true });
      expect(await button.isDisabled()).toBe(true);
      expect(await button.getAttribute("title")).toBe(
        `/dockhand.v1.ContainerAgent/${verb}Container needs the operator role; dash-viewer has viewer`,
      );
    }
    const remove = container.getByRole("button", { name: "Delete" });
    expect(await remove.isDisabled()).toBe(true);
    expect(await remove.getAttribute("title")).toContain("needs the admin role");
    const look = await remove.evaluate((el) => {
      const style = getComputedStyle(el);
      return { color: style.color, border: style.borderTopColor, cursor: style.cursor };
    });
    // --bad, the red of an enabled Delete, is rgb(165, 14, 14).
    expect(look.color).not.toBe("rgb(165, 14, 14)");
    expect(look.border).not.toBe("rgb(165, 14, 14)");
    expect(look.cursor).toBe("not-allowed");
    await screenshot(page, "viewer-containers");
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
