import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Engine } from "../engine/engine.js";
import type { ListAnswer as ListCacheAnswer } from "../engine/store/container-store.js";
import type { EngineCallRecord } from "../engine/instrumented-engine.js";
import type { ServiceRegistry } from "../registry/service-registry.js";
import { serviceLabel } from "../model/ownership-labels.js";

export interface Metrics {
  /** The registry `GET /metrics` serves; one per server, so tests can run several. */
  readonly registry: Registry;
  /** Counts an RPC that ended with `code` ("OK" or a gRPC code name). */
  recordRpc(procedure: string, code: string, seconds: number): void;
  /** +1 when a response stream opens, -1 when it ends. */
  streamOpened(procedure: string, delta: 1 | -1): void;
  recordEngineCall(record: EngineCallRecord): void;
  engineStreamOpened(operation: string, delta: 1 | -1): void;
  /** Counts a container list by how it was answered: from the cache, or why not. */
  recordListCacheAnswer(answer: ListCacheAnswer): void;
  /** Counts one evaluation of a service's autoscaling policy, and keeps its value and chosen count. */
  recordAutoscaleDecision(
    service: string,
    decision: { metric: string; value: number; to: number; outcome: string },
  ): void;
}

export interface MetricsOptions {
  registry: ServiceRegistry;
  /** Read at each scrape to count the running containers of each service. */
  engine: Pick<Engine, "containers">;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const rpcs = new Counter({
    name: "dockhand_rpc_requests_total",
    help: "RPCs handled, by procedure and final code",
    labelNames: ["procedure", "code"],
    registers,
  });
  const rpcSeconds = new Histogram({
    name: "dockhand_rpc_duration_seconds",
    help: "RPC latency (for a stream: until it ended), by procedure and final code",
    labelNames: ["procedure", "code"],
    buckets: latencyBuckets,
    registers,
  });
  const streams = new Gauge({
    name: "dockhand_rpc_open_streams",
    help: "Response streams open now, by procedure",
    labelNames: ["procedure"],
    registers,
  });
  const engineSeconds = new Histogram({
    name: "dockhand_engine_call_duration_seconds",
    help: "Docker engine call latency, by engine operation and outcome (ok or error kind)",
    labelNames: ["operation", "outcome"],
    buckets: latencyBuckets,
    registers,
  });
  const engineStreams = new Gauge({
    name: "dockhand_engine_open_streams",
    help: "Docker engine streams (events, logs ...) open now, by operation",
    labelNames: ["operation"],
    registers,
  });

  const listCacheAnswers = new Counter({
    name: "dockhand_container_list_cache_lists_total",
    help: "Container lists by answer: cache, or why the engine's list answered (building, event_log_failed, catch_up_timeout)",
    labelNames: ["answer"],
    registers,
  });

  new Gauge({
    name: "dockhand_service_containers_desired",
    help: "Desired replica count of each service",
    labelNames: ["service"],
    registers,
    collect() {
      this.reset();
      for (const stored of options.registry.list()) this.set({ service: stored.definition.name }, stored.replicas);
    },
  });
  new Gauge({
    name: "dockhand_service_containers_running",
    help: "Running containers of each service, as the engine lists them at scrape time",
    labelNames: ["service"],
    registers,
    async collect() {
      this.reset();
      const counts = new Map(options.registry.list().map((s) => [s.definition.name, 0]));
      try {
        const running = await options.engine.containers.list(
          { all: false, labels: [serviceLabel] },
          AbortSignal.timeout(2000),
        );
        for (const c of running) {
          const service = c.labels[serviceLabel];
          if (service !== undefined && counts.has(service)) counts.set(service, (counts.get(service) ?? 0) + 1);
        }
      } catch {
        // An unreachable engine leaves the family empty rather than reporting zero running.
        return;
      }
      for (const [service, count] of counts) this.set({ service }, count);
    },
  });

  const autoscaleDecisions = new Counter({
    name: "dockhand_autoscale_evaluations_total",
    help: "Evaluations of autoscaling policies, by service and outcome (scaled, within_tolerance, cooldown, stabilizing, at_limit, no_samples, query_failed, scale_failed)",
    labelNames: ["service", "outcome"],
    registers,
  });
  const autoscaleValue = new Gauge({
    name: "dockhand_autoscale_metric_value",
    help: "The value the autoscaler last measured for a service, by metric",
    labelNames: ["service", "metric"],
    registers,
  });
  const autoscaleReplicas = new Gauge({
    name: "dockhand_autoscale_decided_replicas",
    help: "The replica count the autoscaler last chose for a service",
    labelNames: ["service"],
    registers,
  });

  const rpcSeries = new Map<
    string,
    { count: ReturnType<typeof rpcs.labels>; seconds: ReturnType<typeof rpcSeconds.labels> }
  >();

  return {
    registry,
    recordRpc(procedure, code, seconds) {
      // One pair of labelled children per procedure and code: prom-client would otherwise
      // hash the label object on every call, on the hottest path there is.
      const key = `${procedure}\u0000${code}`;
      let series = rpcSeries.get(key);
      if (!series) {
        series = { count: rpcs.labels(procedure, code), seconds: rpcSeconds.labels(procedure, code) };
        rpcSeries.set(key, series);
      }
      series.count.inc();
      series.seconds.observe(seconds);
    },
    streamOpened: (procedure, delta) => streams.inc({ procedure }, delta),
    recordEngineCall: ({ operation, outcome, seconds }) => engineSeconds.observe({ operation, outcome }, seconds),
    engineStreamOpened: (operation, delta) => engineStreams.inc({ operation }, delta),
    recordListCacheAnswer: (answer) => listCacheAnswers.inc({ answer }),
    recordAutoscaleDecision(service, { metric, value, to, outcome }) {
      autoscaleDecisions.inc({ service, outcome });
      autoscaleValue.set({ service, metric }, value);
      autoscaleReplicas.set({ service }, to);
    },
  };
}
