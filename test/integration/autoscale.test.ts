import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/app/config.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler, type AutoscaleDecision, type ServiceStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { AutoscaleMetric, AutoscalePolicySchema } from "../../gen/dockhand/v1/service_pb.js";
import { clientFor } from "../support/clients.js";
import { testImage } from "../support/engine.js";
import { failureOf } from "../support/failure.js";
import { sample } from "../support/metrics.js";
import { docker, run } from "../support/run.js";
import { serveGauge, startPrometheus, type GaugeTarget, type TestPrometheus } from "../support/prometheus.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

/** Busy while /burn exists (a shell loop spins), idle otherwise. */
const burner = ["sh", "-c", "while true; do if [ -f /burn ]; then :; else sleep 0.2; fi; done"];

describe("autoscaling on CPU, on the real engine", () => {
  const fixture = useTestServer({ maxReplicas: 20 });

  it("scales a CPU step on 1 replica out at target 50 %, then back to min after the cooldown once the load stops", async () => {
    const name = fixture.service("cpu-step");
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const scaler = clientFor(Scaler, fixture.server.url);
    await registry.createService({
      service: {
        name,
        image: testImage,
        command: burner,
        init: true,
        // A fifth of a core: the loop reaches 100 % of its limit even on a busy machine.
        resources: { cpuMillis: 200 },
        autoscale: {
          minReplicas: 1,
          maxReplicas: 3,
          metric: AutoscaleMetric.CPU_PERCENT,
          target: 50,
          evaluationInterval: { seconds: 1n },
          cooldownUp: { seconds: 0n },
          cooldownDown: { seconds: 3n },
        },
      },
    });
    const watch = new AbortController();
    const watched: ServiceStatus[] = [];
    const watching = (async () => {
      for await (const { status } of scaler.watchStatus({ name }, { signal: watch.signal })) watched.push(status!);
    })().catch(() => undefined);
    try {
      // Below min_replicas (a new service has 0): the first evaluation brings it to 1.
      let status!: ServiceStatus;
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.running === 1 && status.desired === 1;
      });
      expect(status.lastAutoscaleDecision).toMatchObject({ fromReplicas: 0, toReplicas: 1 });
      expect(status.lastAutoscaleDecision!.why).toContain("below min_replicas 1");
      // Idle at 1 replica: the count holds at min.
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.lastAutoscaleDecision?.why.startsWith("cpu") === true;
      });
      expect(status.desired).toBe(1);

      const first = status.containers[0]!.id;
      const step = Date.now();
      docker("exec", first, "touch", "/burn");
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.desired >= 2 && status.ready >= 2;
      });
      const up = status.lastAutoscaleDecision!;
      console.log(`CPU step to ${status.ready} ready replicas: ${Date.now() - step} ms (evaluation interval 1 s)`);
      expect(up.metric).toBe(AutoscaleMetric.CPU_PERCENT);
      expect(up.fromReplicas).toBe(1);
      expect(up.toReplicas).toBeGreaterThanOrEqual(2);
      expect(up.value).toBeGreaterThan(55);
      expect(up.target).toBe(50);
      expect(up.samples).toBe(1);
      expect(up.why).toMatch(/^cpu [\d.]+% vs target 50% \(x[\d.]+\) over 1 replica: 1 -> \d$/);
      // The decision reached the watch too.
      await until(() => watched.some((s) => s.lastAutoscaleDecision?.toReplicas === up.toReplicas));

      const upCount = status.desired;
      docker("exec", first, "rm", "/burn");
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.desired === 1 && status.running === 1;
      });
      const down = status.lastAutoscaleDecision!;
      expect(down).toMatchObject({ fromReplicas: upCount, toReplicas: 1 });
      // The scale-down waited out cooldown_down (3 s) after the last change.
      const lastUp = watched
        .map((s) => s.lastAutoscaleDecision)
        .filter((d) => d !== undefined && d.toReplicas > d.fromReplicas)
        .at(-1)!;
      expect(timestampDate(down.time!).getTime() - timestampDate(lastUp.time!).getTime()).toBeGreaterThanOrEqual(3000);
      // Each change is counted in /metrics.
      const metrics = await (await fetch(`${fixture.server.url}/metrics`)).text();
      expect(
        sample(metrics, `dockhand_autoscale_evaluations_total{service="${name}",outcome="scaled"}`),
      ).toBeGreaterThanOrEqual(3);
      expect(sample(metrics, `dockhand_autoscale_decided_replicas{service="${name}"}`)).toBe(1);
    } finally {
      watch.abort();
      await watching;
      await registry.updateService({
        service: { name, image: testImage, command: burner, init: true, resources: { cpuMillis: 200 }, autoscale: {} },
      });
      await scaler.scale({ name, replicas: 0, wait: true }).catch(() => undefined);
    }
  });

  it("scales out on memory: a replica holding 38 % of its limit at a 20 % target", async () => {
    const name = fixture.service("memory");
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const scaler = clientFor(Scaler, fixture.server.url);
    // 6 MB in a tmpfs counts towards the container's memory: about 38 % of a 16 MiB limit.
    const command = ["sh", "-c", "head -c 6000000 /dev/zero > /dev/shm/fill; sleep 3600"];
    const service = {
      name,
      image: testImage,
      command,
      init: true,
      resources: { memoryBytes: BigInt(16 * 1024 * 1024) },
    };
    await registry.createService({
      service: {
        ...service,
        autoscale: {
          minReplicas: 1,
          maxReplicas: 2,
          metric: AutoscaleMetric.MEMORY_PERCENT,
          target: 20,
          evaluationInterval: { seconds: 1n },
          cooldownUp: { seconds: 0n },
        },
      },
    });
    try {
      let status!: ServiceStatus;
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.desired === 2 && status.running === 2 && status.lastAutoscaleDecision?.fromReplicas === 1;
      });
      const decision = status.lastAutoscaleDecision!;
      expect(decision).toMatchObject({ metric: AutoscaleMetric.MEMORY_PERCENT, toReplicas: 2, samples: 1, target: 20 });
      expect(decision.value).toBeGreaterThan(22);
      expect(decision.value).toBeLessThanOrEqual(100);
      expect(decision.why).toMatch(/^memory [\d.]+% vs target 20% \(x[\d.]+\) over 1 replica: 1 -> 2$/);
    } finally {
      await registry.updateService({ service: { ...service, autoscale: create(AutoscalePolicySchema) } });
      await scaler.scale({ name, replicas: 0, wait: true }).catch(() => undefined);
    }
  });

  it("runs the README's autoscaling example as written: the policy is stored and its first decision shows in status", async () => {
    const name = fixture.service("readme-web");
    const block = /<!-- readme-test: autoscale -->\n```bash\n([\s\S]*?)```/.exec(readFileSync("README.md", "utf8"));
    expect(block).not.toBeNull();
    const script = `set -euo pipefail\n${block![1]!
      .replaceAll("127.0.0.1:7051", fixture.server.url.replace("http://", ""))
      .replaceAll('"web"', `"${name}"`)}`;
    const res = await run("bash", ["-c", script]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('"metric":"AUTOSCALE_METRIC_CPU_PERCENT"');
    expect(res.stdout).toContain('"evaluationInterval":"5s"');
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const scaler = clientFor(Scaler, fixture.server.url);
    try {
      await until(async () => {
        const status = (await scaler.getStatus({ name })).status!;
        return (
          status.running === 1 && status.lastAutoscaleDecision?.why === "0 replicas is below min_replicas 1: 0 -> 1"
        );
      });
    } finally {
      const service = (await registry.getService({ name })).service!;
      await registry.updateService({ service: { ...service, version: 0n, autoscale: create(AutoscalePolicySchema) } });
      await scaler.scale({ name, replicas: 0, wait: true }).catch(() => undefined);
    }
  });

  it("refuses bad policies with INVALID_ARGUMENT naming the field, and changes nothing", async () => {
    const name = fixture.service("bad-policy");
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const base = { name, image: testImage, command: ["sleep", "3600"], init: true };
    const good = { minReplicas: 1, maxReplicas: 3, metric: AutoscaleMetric.CPU_PERCENT, target: 50 };
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["min > max", { ...good, minReplicas: 4 }, "service.autoscale.min_replicas"],
      ["max above the server's limit", { ...good, maxReplicas: 21 }, "service.autoscale.max_replicas"],
      ["a CPU target above 100 %", { ...good, target: 150 }, "service.autoscale.target"],
      ["a target of 0", { ...good, target: 0 }, "service.autoscale.target"],
      ["an unknown metric", { ...good, metric: 99 }, "service.autoscale.metric"],
      ["no metric", { ...good, metric: AutoscaleMetric.UNSPECIFIED }, "service.autoscale.metric"],
      [
        "a query with no Prometheus configured",
        { ...good, metric: AutoscaleMetric.PROMETHEUS_QUERY, target: 5, query: "up" },
        "service.autoscale.query",
      ],
      [
        "an interval under 1 s",
        { ...good, evaluationInterval: { nanos: 500_000_000 } },
        "service.autoscale.evaluation_interval",
      ],
      ["a negative cooldown", { ...good, cooldownDown: { seconds: -1n } }, "service.autoscale.cooldown_down"],
    ];
    for (const [what, autoscale, field] of cases) {
      const err = await failureOf(registry.createService({ service: { ...base, autoscale } }));
      expect(err.code, what).toBe(Code.InvalidArgument);
      expect(err.rawMessage, what).toContain(field);
    }
    const fixedPort = await failureOf(
      registry.createService({
        service: { ...base, ports: [{ containerPort: 80, hostPort: 18_080, hostIp: "127.0.0.1" }], autoscale: good },
      }),
    );
    expect(fixedPort.code).toBe(Code.InvalidArgument);
    expect(fixedPort.rawMessage).toContain("service.autoscale.max_replicas");
    // Nothing was created.
    expect((await failureOf(registry.getService({ name }))).code).toBe(Code.NotFound);

    // On an existing service, a bad policy leaves the stored one as it was.
    await registry.createService({ service: { ...base, autoscale: { ...good, paused: true } } });
    const before = (await registry.getService({ name })).service!;
    const err = await failureOf(
      registry.updateService({ service: { ...base, autoscale: { ...good, minReplicas: 5 } } }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain("service.autoscale.min_replicas");
    const after = (await registry.getService({ name })).service!;
    expect(after.version).toBe(before.version);
    expect(after.autoscale).toEqual(before.autoscale);
    expect(after.autoscale?.maxReplicas).toBe(3);
    // An update without the field keeps the policy; an empty one removes it.
    await registry.updateService({ service: { ...base } });
    expect((await registry.getService({ name })).service!.autoscale?.paused).toBe(true);
    await registry.updateService({ service: { ...base, autoscale: {} } });
    expect((await registry.getService({ name })).service!.autoscale).toBeUndefined();
  });
});

describe("autoscaling on a Prometheus query", () => {
  const job = `autoscale-${process.pid}`;
  let gauge: GaugeTarget;
  let prometheus: TestPrometheus;
  // Filled in before the server starts (this hook runs before the fixture's).
  const overrides: Partial<Config> = {};
  beforeAll(async () => {
    gauge = await serveGauge("test_queue_depth", 7);
    prometheus = await startPrometheus([gauge.address], job);
    overrides.prometheusUrl = prometheus.url;
  });
  afterAll(async () => {
    await prometheus?.stop();
    await gauge?.close();
  });
  const fixture = useTestServer(overrides);

  it("sets the count the query's value asks for, by the target-value rule", async () => {
    const name = fixture.service("queue");
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    const scaler = clientFor(Scaler, fixture.server.url);
    const service = { name, image: testImage, command: ["sleep", "3600"], init: true };
    await registry.createService({
      service: {
        ...service,
        autoscale: {
          minReplicas: 0,
          maxReplicas: 5,
          metric: AutoscaleMetric.PROMETHEUS_QUERY,
          query: `test_queue_depth{job="${job}"}`,
          target: 2,
          evaluationInterval: { seconds: 1n },
          // The gauge is a total, not a per-replica value: a long cooldown up keeps the rule
          // from compounding it once the first scale-up has happened.
          cooldownUp: { seconds: 3600n },
          cooldownDown: { seconds: 0n },
        },
      },
    });
    const watch = new AbortController();
    const decisions: AutoscaleDecision[] = [];
    const watching = (async () => {
      for await (const { status } of scaler.watchStatus({ name }, { signal: watch.signal }))
        if (status?.lastAutoscaleDecision) decisions.push(status.lastAutoscaleDecision);
    })().catch(() => undefined);
    try {
      // 7 waiting at 0 replicas, 2 per replica: ceil(7 / 2) = 4.
      let status!: ServiceStatus;
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.desired === 4 && status.running === 4;
      });
      await until(() => decisions.some((d) => d.toReplicas === 4));
      expect(decisions.find((d) => d.toReplicas === 4)).toMatchObject({
        metric: AutoscaleMetric.PROMETHEUS_QUERY,
        value: 7,
        target: 2,
        fromReplicas: 0,
        toReplicas: 4,
        samples: 0,
        why: "query 7 vs target 2 (x3.5): 0 -> 4",
      });
      // Before Prometheus had scraped the gauge, the count held, and status said why.
      for (const held of decisions.filter((d) => d.toReplicas === 0))
        expect(held.why).toBe("the query returned no sample");
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.lastAutoscaleDecision?.why.includes("cooldown") === true;
      });
      expect(status.lastAutoscaleDecision!.why).toMatch(/^query 7 vs target 2 \(x3.5\): scale-up to 5 waits/);
      expect(status.desired).toBe(4);

      // 1 per replica at 4 replicas: ceil(1 / 2 x 4) = 2.
      gauge.set(1);
      await until(async () => {
        status = (await scaler.getStatus({ name })).status!;
        return status.desired === 2 && status.running === 2;
      });
      expect(status.lastAutoscaleDecision).toMatchObject({ value: 1, fromReplicas: 4, toReplicas: 2 });
    } finally {
      watch.abort();
      await watching;
      await registry.updateService({ service: { ...service, autoscale: {} } });
      await scaler.scale({ name, replicas: 0, wait: true }).catch(() => undefined);
    }
  });
});
