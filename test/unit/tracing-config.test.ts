import pino from "pino";
import { describe, expect, it } from "vitest";
import { startTracing } from "../../src/app/tracing.js";

function logged() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const endpoint = "http://127.0.0.1:4318";

describe("tracing is off unless the standard OTEL_* variables turn it on", () => {
  it("is off with no variable, with OTEL_TRACES_EXPORTER=none, and with OTEL_SDK_DISABLED=true", () => {
    const { logger } = logged();
    expect(startTracing({}, logger)).toBeUndefined();
    expect(
      startTracing({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, logger),
    ).toBeUndefined();
    expect(startTracing({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, logger)).toBeUndefined();
  });

  it("is on with an OTLP endpoint, or with OTEL_TRACES_EXPORTER=otlp, and says so", async () => {
    for (const env of [
      { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` },
      { OTEL_TRACES_EXPORTER: "otlp" },
    ]) {
      const { logger, lines } = logged();
      const tracing = startTracing(env, logger);
      expect(tracing, JSON.stringify(env)).toBeDefined();
      expect(lines).toContainEqual(expect.objectContaining({ msg: "tracing on", exporters: ["otlp"] }));
      await tracing!.shutdown();
    }
  });

  it("warns of an exporter it lacks and of an OTLP protocol other than http/json", async () => {
    const { logger, lines } = logged();
    expect(startTracing({ OTEL_TRACES_EXPORTER: "zipkin" }, logger)).toBeUndefined();
    const tracing = startTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" },
      logger,
    );
    await tracing?.shutdown();
    expect(lines.map((line) => line.msg)).toEqual([
      "OTEL_TRACES_EXPORTER names exporters dockhand lacks",
      "dockhand sends OTLP traces as http/json, whatever the protocol asked",
      "tracing on",
    ]);
  });
});
