import { context, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import type { Logger } from "pino";
import { failSpan, inChildSpan, type Tracing } from "../lib/tracing.js";
import type { Orchestrator } from "../orchestrator/orchestrator.js";

export interface StartedTracing extends Tracing {
  /** Sends the spans not sent yet, then stops. */
  shutdown(): Promise<void>;
}

const exporters: Record<string, () => SpanExporter> = {
  // Endpoint, headers and timeout come from OTEL_EXPORTER_OTLP_(TRACES_)* as the exporter reads them.
  otlp: () => new OTLPTraceExporter(),
  console: () => new ConsoleSpanExporter(),
};

/** The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name (default: parentbased_always_on). */
function samplerOf(env: NodeJS.ProcessEnv): Sampler {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1);
  const root: Record<string, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(Number.isFinite(ratio) ? ratio : 1),
  };
  const name = env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on";
  if (name in root) return root[name]!();
  const parented = name.replace(/^parentbased_/, "");
  return new ParentBasedSampler({ root: (root[parented] ?? root.always_on!)() });
}

/** A whole number of an OTEL_BSP_* variable, or undefined for the processor's default. */
function count(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Tracing as the standard OpenTelemetry variables ask for it, or undefined: it is off unless
 * OTEL_TRACES_EXPORTER names an exporter (otlp, console) or an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); OTEL_SDK_DISABLED=true and
 * OTEL_TRACES_EXPORTER=none keep it off. Spans go out over OTLP/HTTP as JSON, batched
 * (OTEL_BSP_*), sampled as OTEL_TRACES_SAMPLER(_ARG) says, from the service OTEL_SERVICE_NAME
 * (default dockhand) with OTEL_RESOURCE_ATTRIBUTES.
 */
export function startTracing(env: NodeJS.ProcessEnv, logger: Logger): StartedTracing | undefined {
  if (env.OTEL_SDK_DISABLED === "true") return undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const named = (env.OTEL_TRACES_EXPORTER ?? (endpoint ? "otlp" : "none"))
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "" && name !== "none");
  const unknown = named.filter((name) => !(name in exporters));
  if (unknown.length > 0) logger.warn({ exporters: unknown }, "OTEL_TRACES_EXPORTER names exporters dockhand lacks");
  const chosen = named.filter((name) => name in exporters);
  if (chosen.length === 0) return undefined;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (chosen.includes("otlp") && protocol !== undefined && protocol !== "http/json")
    logger.warn({ protocol }, "dockhand sends OTLP traces as http/json, whatever the protocol asked");

  // One context manager per process: the active span follows each call through its awaits.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const resource = resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "dockhand" }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(env),
    spanProcessors: chosen.map(
      (name) =>
        new BatchSpanProcessor({
          exporter: exporters[name]!(),
          scheduledDelayMillis: count(env.OTEL_BSP_SCHEDULE_DELAY),
          exportTimeoutMillis: count(env.OTEL_BSP_EXPORT_TIMEOUT),
          maxQueueSize: count(env.OTEL_BSP_MAX_QUEUE_SIZE),
          maxExportBatchSize: count(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
        }),
    ),
  });
  logger.info({ exporters: chosen, endpoint }, "tracing on");
  return {
    tracer: provider.getTracer("dockhand"),
    propagator: new W3CTraceContextPropagator(),
    shutdown: () => provider.shutdown(),
  };
}

/** A span per engine call made in a call's work, for the engine's instrumentation. */
export function engineCallSpans(tracing: Tracing) {
  return (operation: string, containerId: string | undefined) => {
    if (trace.getSpan(context.active()) === undefined) return undefined;
    const span = tracing.tracer.startSpan(`docker ${operation}`, {
      kind: SpanKind.CLIENT,
      attributes: { "dockhand.engine.operation": operation, ...(containerId ? { "container.id": containerId } : {}) },
    });
    return (err?: unknown) => {
      if (err !== undefined) failSpan(span, err);
      span.end();
    };
  };
}

/** The orchestrator with a span around each Scale, delete and rollout wait a call makes. */
export function tracedOrchestrator(orchestrator: Orchestrator, tracing: Tracing): Orchestrator {
  const { tracer } = tracing;
  return Object.assign(Object.create(orchestrator) as Orchestrator, {
    scale: (name, replicas, options) =>
      inChildSpan(tracer, "Scale", { attributes: { "dockhand.service": name, "dockhand.replicas": replicas } }, () =>
        orchestrator.scale(name, replicas, options),
      ),
    deleteService: (name, force) =>
      inChildSpan(tracer, "DeleteService", { attributes: { "dockhand.service": name } }, () =>
        orchestrator.deleteService(name, force),
      ),
    awaitRollout: (name, version, signal) =>
      inChildSpan(tracer, "Rollout", { attributes: { "dockhand.service": name, "dockhand.version": version } }, () =>
        orchestrator.awaitRollout(name, version, signal),
      ),
  } satisfies Partial<Orchestrator>);
}
