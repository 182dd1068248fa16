import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler, type ServiceStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { clientFor } from "../support/clients.js";
import { testImage } from "../support/engine.js";
import { registryHost, removeImages, uniqueRepository } from "../support/images.js";
import { docker } from "../support/run.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

/** Status says why a service is not where it should be, and stops saying it once the cause goes. */
describe("conditions in status", () => {
  const fixture = useTestServer({ resyncIntervalMs: 1000 });

  it("shows an image that cannot be pulled, with the registry's reason, in GetStatus and WatchStatus, and clears it when the image appears", async () => {
    const name = fixture.service("nopull");
    const image = `${uniqueRepository("never-pushed", registryHost)}:1`;
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const scaler = clientFor(Scaler, fixture.server.url);
    await registry.createService({ service: { name, image, command: ["sleep", "3600"], init: true } });
    const watch = new AbortController();
    const watched: ServiceStatus[] = [];
    const watching = (async () => {
      for await (const { status } of scaler.watchStatus({ name }, { signal: watch.signal })) watched.push(status!);
    })().catch(() => undefined);
    try {
      const started = Date.now();
      await scaler.scale({ name, replicas: 1, wait: false });
      let status: ServiceStatus | undefined;
      await until(async () => {
        status = (await scaler.getStatus({ name })).status;
        return status!.conditions.some((c) => c.type === "image_pull_failed");
      });
      const shownAfterMs = Date.now() - started;
      const pull = status!.conditions.find((c) => c.type === "image_pull_failed")!;
      // The engine's reason, with the image named.
      expect(pull.message).toContain(image);
      expect(pull.message).toMatch(/not found|manifest unknown|no such/i);
      expect(pull.count).toBeGreaterThanOrEqual(1);
      expect(timestampDate(pull.firstSeenTime!).getTime()).toBeLessThanOrEqual(
        timestampDate(pull.lastSeenTime!).getTime(),
      );
      expect(status!.desired).toBe(1);
      expect(status!.running).toBe(0);
      // Each retry is counted on the same condition, not added as another.
      await until(
        async () =>
          ((await scaler.getStatus({ name })).status!.conditions.find((c) => c.type === "image_pull_failed")?.count ??
            0) >= 2,
      );
      expect(
        (await scaler.getStatus({ name })).status!.conditions.filter((c) => c.type === "image_pull_failed"),
      ).toHaveLength(1);
      await until(() => watched.some((s) => s.conditions.some((c) => c.type === "image_pull_failed")));
      console.log(`condition shown ${shownAfterMs} ms after the Scale`);

      // The image appears: the next pass goes through and the condition clears.
      docker("tag", testImage, image);
      await until(async () => {
        const now = (await scaler.getStatus({ name })).status!;
        return now.running === 1 && now.conditions.length === 0;
      });
      await until(() => watched.at(-1)?.conditions.length === 0 && watched.at(-1)?.running === 1);
    } finally {
      watch.abort();
      await watching;
      await scaler.scale({ name, replicas: 0, wait: true }).catch(() => undefined);
      removeImages([image]);
    }
  });

  it("shows a start the engine refused, and a crash-looping slot with its exit code and count", async () => {
    const name = fixture.service("crashy");
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const scaler = clientFor(Scaler, fixture.server.url);
    await registry.createService({
      service: { name, image: testImage, command: ["sh", "-c", "echo going down; exit 3"], init: true },
    });
    await scaler.scale({ name, replicas: 1, wait: false });
    let crash: ServiceStatus["conditions"][number] | undefined;
    await until(async () => {
      crash = (await scaler.getStatus({ name })).status!.conditions.find((c) => c.type === "crash_looping");
      return crash !== undefined;
    });
    expect(crash!.slot).toBe(1);
    expect(crash!.message).toContain("exited with code 3");
    expect(crash!.message).toContain("going down");
    expect(crash!.count).toBeGreaterThanOrEqual(2);
    expect(timestampDate(crash!.firstSeenTime!).getTime()).toBeLessThan(timestampDate(crash!.lastSeenTime!).getTime());
    await scaler.scale({ name, replicas: 0, wait: true });

    const missing = fixture.service("nocommand");
    // Without init, the engine itself must run the program, and refuses the start.
    await registry.createService({
      service: { name: missing, image: testImage, command: ["/no/such/program"], init: false },
    });
    await scaler.scale({ name: missing, replicas: 1, wait: false });
    await until(async () =>
      (await scaler.getStatus({ name: missing })).status!.conditions.some(
        (c) => c.type === "start_failed" && c.message.includes("/no/such/program"),
      ),
    );
    await scaler.scale({ name: missing, replicas: 0, wait: true });
  });
});
