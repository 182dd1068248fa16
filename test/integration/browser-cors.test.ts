import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import type { CallResult } from "../browser/cors-page.js";
import { launchChromium } from "../support/browser.js";
import { testImage } from "../support/engine.js";
import { startLoggedServer, type LoggedServer } from "../support/secure-server.js";
import { uniqueServiceName } from "../support/service-names.js";
import { makeTokens, writeTokensFile } from "../support/tokens-file.js";

/** Serves one page and its bundle on 127.0.0.1: a second origin, as a dashboard hosted elsewhere. */
async function servePage(bundle: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(bundle);
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      '<!doctype html><html><head><title>cors page</title><script src="/page.js"></script></head><body>page</body></html>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Protocol = "grpcweb" | "connect";
declare const corsPage: {
  listServices(protocol: Protocol, baseUrl: string, token?: string): Promise<CallResult>;
  firstStatus(protocol: Protocol, baseUrl: string, name: string, token?: string): Promise<CallResult>;
};

/** A real headless Chromium calling dockhand from another origin, through CORS, with a token. */
describe("a browser on another origin (Chromium, connect-web)", () => {
  const tokens = makeTokens();
  const work = mkdtempSync(join(tmpdir(), "dockhand-cors-"));
  const service = uniqueServiceName("cors");
  let allowedPage: Awaited<ReturnType<typeof servePage>>;
  let otherPage: Awaited<ReturnType<typeof servePage>>;
  let server: LoggedServer;
  let browser: Browser;

  beforeAll(async () => {
    const bundled = await build({
      entryPoints: ["test/browser/cors-page.ts"],
      bundle: true,
      write: false,
      format: "iife",
      globalName: "corsPage",
      platform: "browser",
      target: "es2022",
    });
    const bundle = bundled.outputFiles[0]!.text;
    allowedPage = await servePage(bundle);
    otherPage = await servePage(bundle);
    writeTokensFile(join(work, "tokens.yml"), Object.values(tokens));
    server = await startLoggedServer({
      authTokensFile: join(work, "tokens.yml"),
      corsOrigins: [allowedPage.origin],
      logLevel: "silent",
    });
    const admin = createConnectTransport({
      baseUrl: server.url,
      httpVersion: "1.1",
      interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${tokens.admin.token}`), next(req))],
    });
    await createClient(ServiceRegistry, admin).createService({
      service: { name: service, image: testImage, command: ["sleep", "3600"] },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await allowedPage?.close();
    await otherPage?.close();
    rmSync(work, { recursive: true, force: true });
  });

  type PageArgs = { url: string; token: string; service: string; protocol: Protocol };
  async function inPage<T>(
    origin: string,
    run: (args: PageArgs) => Promise<T>,
    protocol: Protocol = "grpcweb",
  ): Promise<T> {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      return await page.evaluate(run, { url: server.url, token: tokens.viewer.token, service, protocol });
    } finally {
      await page.close();
    }
  }

  for (const protocol of ["grpcweb", "connect"] as const) {
    it(`makes a unary call and reads a server stream over ${protocol}, with a token`, async () => {
      const unary = await inPage(
        allowedPage.origin,
        (a) => corsPage.listServices(a.protocol, a.url, a.token),
        protocol,
      );
      expect(unary).toMatchObject({ ok: true });
      expect(unary.services).toContain(service);
      const stream = await inPage(
        allowedPage.origin,
        (a) => corsPage.firstStatus(a.protocol, a.url, a.service, a.token),
        protocol,
      );
      expect(stream).toEqual({ ok: true, firstStatus: { name: service, desired: 0 } });
    });

    it(`shows UNAUTHENTICATED in the browser when the token is missing, over ${protocol}`, async () => {
      const unary = await inPage(allowedPage.origin, (a) => corsPage.listServices(a.protocol, a.url), protocol);
      expect(unary).toMatchObject({ ok: false, code: String(Code.Unauthenticated) });
      const stream = await inPage(
        allowedPage.origin,
        (a) => corsPage.firstStatus(a.protocol, a.url, a.service),
        protocol,
      );
      expect(stream).toMatchObject({ ok: false, code: String(Code.Unauthenticated) });
    });
  }

  it("refuses a page from an origin that is not allowed, even with a valid token", async () => {
    for (const protocol of ["grpcweb", "connect"] as const) {
      const refused = await inPage(
        otherPage.origin,
        (a) => corsPage.listServices(a.protocol, a.url, a.token),
        protocol,
      );
      expect(refused.ok, protocol).toBe(false);
      expect(refused.services, protocol).toBeUndefined();
    }
    // The same page and token from the allowed origin succeed: the origin alone made the difference.
    expect(await inPage(allowedPage.origin, (a) => corsPage.listServices(a.protocol, a.url, a.token))).toMatchObject({
      ok: true,
    });
  });
});
