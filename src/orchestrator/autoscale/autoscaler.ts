import type { Logger } from "pino";
import type { ContainerStreams } from "../../engine/container-streams.js";
import type { AutoscalePolicy } from "../../model/autoscale-policy.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../orchestrator.js";
import type { AutoscaleDecision } from "./autoscale-decision.js";
import { queryPrometheus } from "./prometheus-query.js";
import { sampleReplicas } from "./replica-sampler.js";
import { decide, isNewDecision, type Measurement } from "./target-value.js";

export interface AutoscalerOptions {
  /** Where policies and desired counts are read; the autoscaler follows its changes. */
  registry: Pick<ServiceRegistry, "list" | "find" | "onChange">;
  /** What it scales through (as a person's Scale does) and reads replicas from. */
  orchestrator: Pick<Orchestrator, "scale" | "status">;
  /** The engine's container stats, for CPU and memory. */
  streams: Pick<ContainerStreams, "stats">;
  /** The Prometheus server queries go to; empty: none configured. */
  prometheusUrl: string;
  logger: Logger;
  /** Told of every evaluation, recorded or not (metrics). */
  onEvaluation?: (service: string, decision: AutoscaleDecision) => void;
  /** The clock. Default: the system's. */
  now?: () => Date;
}

export interface Autoscaler {
  /** Follows every service's policy from now on. */
  start(): void;
  /** Stops evaluating; resolves when the evaluations under way have ended. */
  close(): Promise<void>;
  /** The latest recorded decision of a service with a policy. */
  lastDecision(service: string): AutoscaleDecision | undefined;
  /** Tells `listener` the service whose recorded decision changed; returns the unsubscribe. */
  onDecision(listener: (service: string) => void): () => void;
  /** One evaluation of the service's policy now; undefined without an active policy. */
  evaluate(service: string): Promise<AutoscaleDecision | undefined>;
}

interface ServiceState {
  policyKey: string;
  timer?: NodeJS.Timeout;
  running?: Promise<unknown>;
  lastChangeAt?: Date;
  last?: AutoscaleDecision;
  /** What the evaluations of the last cooldown_down wanted, oldest first. */
  recent: Array<{ at: Date; wanted: number }>;
}

/**
 * Each service with a policy is evaluated every `evaluation_interval` (and at once when its
 * policy is set): measured, decided by the target-value rule, and scaled through the
 * orchestrator. A change, or a new reason to hold, is recorded (status), told to listeners
 * (watches), and logged.
 */
export function createAutoscaler(options: AutoscalerOptions): Autoscaler {
  const { registry, orchestrator, logger } = options;
  const now = options.now ?? (() => new Date());
  const states = new Map<string, ServiceState>();
  const listeners = new Set<(service: string) => void>();
  let unsubscribe: (() => void) | undefined;
  let closed = false;

  const notify = (service: string) => {
    for (const listener of listeners) listener(service);
  };

  function record(service: string, state: ServiceState, decision: AutoscaleDecision): void {
    options.onEvaluation?.(service, decision);
    if (!isNewDecision(decision, state.last)) {
      logger.debug({ service, outcome: decision.outcome, value: decision.value }, `autoscale: ${decision.why}`);
      return;
    }
    state.last = decision;
    const { metric, value, target, from, to, outcome } = decision;
    logger.info({ service, metric, value, target, from, to, outcome }, `autoscale: ${decision.why}`);
    notify(service);
  }

  async function measure(service: string, policy: AutoscalePolicy): Promise<Measurement> {
    if (policy.metric === "prometheus_query") {
      if (options.prometheusUrl === "")
        return { kind: "missing", outcome: "query_failed", why: "no Prometheus server is configured" };
      return queryPrometheus(options.prometheusUrl, policy.query);
    }
    try {
      const view = await orchestrator.status(service);
      const stored = registry.find(service);
      if (!stored) return { kind: "missing", outcome: "no_samples", why: "the service is gone" };
      return await sampleReplicas(options.streams, view, stored.definition, policy.metric);
    } catch (err) {
      return { kind: "missing", outcome: "no_samples", why: `status could not be read: ${(err as Error).message}` };
    }
  }

  async function evaluate(service: string): Promise<AutoscaleDecision | undefined> {
    const state = states.get(service);
    const policy = registry.find(service)?.autoscale;
    if (!state || !policy || policy.paused) return undefined;
    const measurement = await measure(service, policy);
    // The count as it is now: a person's Scale during the measurement is the count decided from.
    const stored = registry.find(service);
    if (closed || !stored?.autoscale || states.get(service) !== state) return undefined;
    let decision = decide({
      service,
      policy: stored.autoscale,
      count: stored.replicas,
      measurement,
      now: now(),
      lastChangeAt: state.lastChangeAt,
      recent: state.recent,
    });
    if (decision.wanted !== undefined) state.recent.push({ at: decision.at, wanted: decision.wanted });
    const window = decision.at.getTime() - stored.autoscale.cooldownDownMs;
    while (state.recent.length > 0 && state.recent[0]!.at.getTime() <= window) state.recent.shift();
    if (decision.to !== decision.from) {
      try {
        await orchestrator.scale(service, decision.to, { wait: false });
        state.lastChangeAt = decision.at;
      } catch (err) {
        const why = `${decision.why}; the Scale failed: ${(err as Error).message}`;
        decision = { ...decision, outcome: "scale_failed", to: decision.from, why };
      }
    }
    record(service, state, decision);
    return decision;
  }

  function tick(service: string, state: ServiceState): void {
    if (state.running || closed) return;
    state.running = evaluate(service)
      .catch((err: unknown) => logger.warn({ err, service }, "autoscale evaluation failed"))
      .finally(() => (state.running = undefined));
  }

  /** Follows a change of the service's stored policy: starts, restarts, pauses or stops its evaluations. */
  function sync(service: string): void {
    if (closed) return;
    const policy = registry.find(service)?.autoscale;
    let state = states.get(service);
    if (!policy) {
      if (!state) return;
      clearInterval(state.timer);
      states.delete(service);
      notify(service);
      return;
    }
    const policyKey = JSON.stringify(policy);
    if (state?.policyKey === policyKey) return;
    if (state) clearInterval(state.timer);
    state = { recent: [], ...state, policyKey, timer: undefined };
    states.set(service, state);
    if (policy.paused) {
      const count = registry.find(service)?.replicas ?? 0;
      const at = now();
      record(service, state, {
        at,
        metric: policy.metric,
        value: 0,
        target: policy.target,
        from: count,
        to: count,
        why: `paused: the count stays at ${count} until the policy is resumed`,
        samples: 0,
        outcome: "paused",
      });
      return;
    }
    const current = state;
    current.timer = setInterval(() => tick(service, current), policy.evaluationIntervalMs);
    current.timer.unref();
    tick(service, current);
  }

  return {
    start() {
      unsubscribe = registry.onChange(sync);
      for (const stored of registry.list()) sync(stored.definition.name);
    },
    async close() {
      closed = true;
      unsubscribe?.();
      for (const state of states.values()) clearInterval(state.timer);
      await Promise.all([...states.values()].map((s) => s.running));
    },
    lastDecision: (service) => states.get(service)?.last,
    onDecision(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async evaluate(service) {
      // After the evaluation under way, if any: two at once would both scale from the same count.
      await states.get(service)?.running;
      return evaluate(service);
    },
  };
}
