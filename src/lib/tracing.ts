import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type SpanKind,
  type Tracer,
} from "@opentelemetry/api";
import type { TextMapPropagator } from "@opentelemetry/api";

/**
 * Tracing when it is on: the tracer spans are made with and the propagator that reads a caller's
 * `traceparent`. Off (the default) there is no Tracing at all, and the code that would trace is
 * not wrapped in anything, so it costs nothing.
 */
export interface Tracing {
  tracer: Tracer;
  propagator: TextMapPropagator;
}

/**
 * Runs `run` in a new span that is a child of the active one, and ends the span when the
 * promise settles, marking it failed with the error. Without an active span (a background
 * pass, not a call's work) it runs `run` alone: only a call's work is traced.
 */
export async function inChildSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes },
  run: (span: Span) => Promise<T>,
): Promise<T> {
  if (trace.getSpan(context.active()) === undefined) return run(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await run(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` failed by `err`: its status and an exception event. */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: err instanceof Error ? err.message.slice(0, 200) : String(err),
  });
}
