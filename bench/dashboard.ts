/**
 * npm run bench:dashboard — the browser dashboard, in Debian's chromium, against dockhand in
 * its own process on a dockerd of the benchmark's own:
 *
 * - dashboard-live-latency: from a container killed on the engine until the Services view
 *   shows the new running count, median of BENCH_ROUNDS (10) kills, each of another slot of a
 *   10-replica service; baseline: a gRPC client polling GetStatus every 5 ms over the same kill.
 * - dashboard-load: from navigation until the Services view shows its first data (all 50
 *   services, 200 containers), median of 5 loads; baseline: a Node client's WatchServices
 *   first message in the same run.
 * - dashboard-stream-memory: the page's JS heap (after a forced GC) after BENCH_STREAM_MINUTES
 *   (5) of a log stream of 100 lines/s shown live, against the same page's heap after 1 minute.
 */
import { execFileSync } from "node:child_process";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type Docker from "dockerode";
import { chromium, type Browser, type Page } from "playwright-core";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { chromiumPath } from "../test/support/browser.js";
import { ensureTestImage, testImage } from "../test/support/engine.js";
import type { SecondEngine } from "../test/support/second-engine.js";
import {
  cleanupOnExit,
  median,
  printFigure,
  startDockhandChild,
  startPrivateEngine,
  type DockhandChild,
} from "./support.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const streamMinutes = Number(process.env.BENCH_STREAM_MINUTES ?? 5);
const run = `${process.pid}-${Date.now().toString(36)}`;
const loadServices = 50;
const loadReplicas = 4;
/** Which figures to measure: BENCH_ONLY=live,load,memory (default all). */
const only = new Set((process.env.BENCH_ONLY ?? "live,load,memory").split(","));

// Functions passed to page.evaluate run in the browser; bench/ is type-checked without the DOM.
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};
declare const window: { changes: Array<[number, string]> };
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };

async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records, in the page, the wall-clock time of every value the cell shows. */
async function recordCell(page: Page, selector: string): Promise<void> {
  await page.waitForFunction((s) => document.querySelector(s) !== null, selector);
  await page.evaluate((s) => {
    window.changes = [];
    const el = document.querySelector(s)!;
    new MutationObserver(() => window.changes.push([Date.now(), el.textContent ?? ""])).observe(el, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, selector);
}

/** What every figure uses: the browser, dockhand's URL, its clients, and the engine. */
interface Bench {
  browser: Browser;
  url: string;
  registry: Client<typeof ServiceRegistry>;
  scaler: Client<typeof Scaler>;
  docker: Docker;
}

async function liveLatency({ browser, url, registry, scaler, docker }: Bench): Promise<void> {
  const live = `bench-dash-live-${run}`;
  await registry.createService({ service: { name: live, image: testImage, command: ["sleep", "3600"], init: true } });
  await scaler.scale({ name: live, replicas: 10 });
  const page = await browser.newPage();
  await page.goto(`${url}/#/services`);
  const cell = `tr[data-service="${live}"] [data-col=running]`;
  await page.waitForFunction((s) => document.querySelector(s)?.textContent === "10", cell, { timeout: 60_000 });
  console.error("bench: dashboard-live-latency: the page shows 10 running; killing one container per round");
  await recordCell(page, cell);
  const pageMs: number[] = [];
  const grpcMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Deaths come at random times, not on the heels of the last change: a quiet spell before
    // each kill, so that the stream's 100 ms throttle is not what is measured.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.evaluate(() => void (window.changes = []));
    const { status } = await scaler.getStatus({ name: live });
    const victim = status!.containers.find((c) => c.slot === (round % 10) + 1)!;
    const killedAt = Date.now();
    await docker.getContainer(victim.id).kill();
    const seenByGrpc = await waitUntil("GetStatus to show the drop", async () =>
      (await scaler.getStatus({ name: live })).status!.running < 10 ? Date.now() : undefined,
    );
    const seenByPage = await waitUntil("the page to show the drop", async () => {
      const changes = await page.evaluate(() => window.changes);
      return changes.find(([, text]) => Number(text) < 10)?.[0];
    });
    pageMs.push(seenByPage - killedAt);
    grpcMs.push(seenByGrpc - killedAt);
    await waitUntil("the service to heal", async () =>
      (await scaler.getStatus({ name: live })).status!.running === 10 ? true : undefined,
    );
    await page.waitForFunction((s) => document.querySelector(s)?.textContent === "10", cell, { timeout: 60_000 });
  }
  console.error(`bench: page ${pageMs.join(" ")} ms; GetStatus ${grpcMs.join(" ")} ms`);
  await page.close();
  await registry.deleteService({ name: live, force: true });
  printFigure({
    bench: "dashboard-live-latency",
    unit: "ms",
    dockhand: median(pageMs),
    baseline: median(grpcMs),
    target: "<=1.5",
    digits: 0,
  });
}

async function load({ browser, url, registry, scaler }: Bench): Promise<void> {
  console.error(`bench: dashboard-load: creating ${loadServices} services of ${loadReplicas} containers`);
  const names = Array.from({ length: loadServices }, (_, i) => `bench-dash-load-${run}-${String(i).padStart(2, "0")}`);
  for (const name of names)
    await registry.createService({ service: { name, image: testImage, command: ["sleep", "3600"], init: true } });
  for (let i = 0; i < names.length; i += 5)
    await Promise.all(names.slice(i, i + 5).map((name) => scaler.scale({ name, replicas: loadReplicas })));
  const loadMs: number[] = [];
  const firstMessageMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const fresh = await browser.newPage();
    const started = Date.now();
    await fresh.goto(`${url}/#/services`);
    await fresh.waitForFunction((n) => document.querySelectorAll("table.services tbody tr").length >= n, loadServices, {
      timeout: 30_000,
    });
    loadMs.push(Date.now() - started);
    await fresh.close();
    const stop = new AbortController();
    const asked = Date.now();
    for await (const first of scaler.watchServices({}, { signal: stop.signal })) {
      if (first.statuses.length >= loadServices) break;
    }
    firstMessageMs.push(Date.now() - asked);
    stop.abort();
  }
  for (const name of names) await registry.deleteService({ name, force: true });
  printFigure({
    bench: "dashboard-load",
    unit: "s",
    dockhand: median(loadMs) / 1000,
    baseline: median(firstMessageMs) / 1000,
    target: "dockhand<=1.5",
    digits: 3,
  });
}

async function streamMemory({ browser, url, registry, scaler }: Bench): Promise<void> {
  console.error(`bench: dashboard-stream-memory: ${streamMinutes} min of 100 log lines/s`);
  const chatty = `bench-dash-logs-${run}`;
  const hundredLines =
    "while true; do i=0; while [ $i -lt 100 ]; do echo log line $i of a chatty container with some text to carry; i=$((i+1)); done; sleep 1; done";
  await registry.createService({
    service: { name: chatty, image: testImage, command: ["sh", "-c", hundredLines], init: true },
  });
  await scaler.scale({ name: chatty, replicas: 1 });
  const page = await browser.newPage();
  await page.goto(`${url}/#/services/${chatty}`);
  await page.waitForFunction(() => (document.querySelector("pre.log-lines")?.textContent ?? "").includes("log line"));
  const cdp = await page.context().newCDPSession(page);
  const heapMb = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    return usedSize / 1024 / 1024;
  };
  const minutes = (n: number) => new Promise((resolve) => setTimeout(resolve, n * 60_000));
  await minutes(1);
  const afterOne = await heapMb();
  await minutes(streamMinutes - 1);
  const afterAll = await heapMb();
  console.error(
    `bench: page heap ${afterOne.toFixed(2)} MB after 1 min, ${afterAll.toFixed(2)} MB after ${streamMinutes} min`,
  );
  await page.close();
  await registry.deleteService({ name: chatty, force: true });
  printFigure({
    bench: "dashboard-stream-memory",
    unit: "MB",
    dockhand: afterAll,
    baseline: afterOne,
    target: "<=1.2",
    digits: 2,
  });
}

execFileSync(process.execPath, ["--import", "tsx", "scripts/build-dashboard.ts"], { stdio: ["ignore", 2, 2] });
ensureTestImage();
let engine: SecondEngine | undefined;
let dockhand: DockhandChild | undefined;
let browser: Browser | undefined;
const cleanup = cleanupOnExit(async () => {
  await browser?.close();
  await dockhand?.stop();
  await engine?.destroy();
});

try {
  engine = await startPrivateEngine("bench-dash");
  dockhand = await startDockhandChild("dockhand-bench-dash", engine.url);
  const transport = createGrpcTransport({ baseUrl: dockhand.url });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const bench: Bench = {
    browser,
    url: dockhand.url,
    registry: createClient(ServiceRegistry, transport),
    scaler: createClient(Scaler, transport),
    docker: createDockerEngine({ url: engine.url }).docker,
  };
  if (only.has("live")) await liveLatency(bench);
  if (only.has("load")) await load(bench);
  if (only.has("memory")) await streamMemory(bench);
} finally {
  await cleanup();
}
