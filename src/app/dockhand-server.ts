import { setTimeout as sleep } from "node:timers/promises";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { Engine } from "../engine/engine.js";
import { createServiceRegistry, type ServiceRegistry } from "../registry/service-registry.js";
import { applyServiceFile, readServiceFile } from "../registry/service-file.js";
import { createStateFile } from "../registry/state-file.js";
import { createSecretStore } from "../registry/secret-store.js";
import { readOrCreateInstanceId } from "../registry/instance-id.js";
import { lockDataDir } from "../registry/data-dir-lock.js";
import type { Orchestrator } from "../orchestrator/orchestrator.js";
import { createOrchestrator } from "./orchestrators.js";
import { checkSwarmDefinition } from "../orchestrator/swarm/swarm-service-spec.js";
import { createAutoscaler } from "../orchestrator/autoscale/autoscaler.js";
import { withAutoscaleStatus } from "../orchestrator/autoscale/autoscaled-orchestrator.js";
import { instrumentEngine, type InstrumentOptions } from "../engine/instrumented-engine.js";
import { ConfigError, type Config } from "./config.js";
import { createEngineHealth } from "../engine/engine-health.js";
import { clientErrorGate } from "../transport/client-error-gate.js";
import { errorInterceptor } from "../transport/error-interceptor.js";
import { requestShapeInterceptor } from "../transport/request-shape-interceptor.js";
import { createContainerStore, withStoreLists } from "../engine/store/container-store.js";
import { createHttpEndpoints } from "../transport/http-endpoints.js";
import { createMetrics } from "../transport/metrics.js";
import { createMetricsInterceptor } from "../transport/metrics-interceptor.js";
import { currentRequest } from "../transport/request-context.js";
import { createLoggingInterceptor } from "../transport/logging-interceptor.js";
import { createOnePortServer } from "../transport/one-port-server.js";
import { createAccessControl } from "../transport/auth/access-control.js";
import { certSubjectKey, createAuthInterceptor } from "../transport/auth/auth-interceptor.js";
import { certSubjectOf, certSubjectOfSocket } from "../transport/auth/peer-identity.js";
import { createCors } from "../transport/cors.js";
import type { HttpRoute } from "../transport/http-route.js";
import { createGenisysRoute } from "../compat/genisys/genisys-route.js";
import { loadGenisysEmptyForms } from "../compat/genisys/genisys-empty-forms.js";
import { createMistifyRoute } from "../compat/mistify/mistify-route.js";
import { readPythonServiceFile } from "../compat/genisys/python-service-file.js";
import { createDashboardRoute } from "../transport/dashboard/dashboard-route.js";
import { createRequestHandler } from "../transport/request-handler.js";
import { createTracingInterceptor, traceRequests, traceStatusFastPath } from "../transport/rpc-tracing.js";
import { engineCallSpans, startTracing, tracedOrchestrator } from "./tracing.js";
import { createMediaTypeGuide } from "../transport/media-type-guide.js";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { readTlsMaterial, type TlsFiles } from "../transport/tls-material.js";
import { watchFiles } from "../lib/watch-files.js";
import { Code, createContextValues } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { createAccessGate } from "../transport/auth/access-gate.js";
import { writeRpcLine } from "../transport/rpc-log.js";
import { createRoutes } from "./routes.js";
import { createStatusFastPath } from "../transport/status-fast-path.js";
import { createBrowserBoundary } from "../transport/browser-boundary.js";
import { isLoopback } from "../lib/loopback-address.js";
import { createWebSocketCalls } from "../transport/websocket-calls.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";

export interface DockhandServer {
  readonly port: number;
  readonly url: string;
  /** This dockhand's identity, carried by its containers' `dockhand.instance` label. */
  readonly instance: string;
  readonly registry: ServiceRegistry;
  /** The backend that runs the services (the `local` scaler, or Swarm). */
  readonly orchestrator: Orchestrator;
  /** Reads the TLS certificate and key and the tokens file again (main calls it on SIGHUP). */
  reload(): void;
  /** Drains in-flight calls (up to the configured grace) and stops listening. */
  close(): Promise<void>;
}

export interface DockhandServerOptions {
  config: Config;
  engine: Engine;
  logger: Logger;
}

/** Loads state, applies the service file, and serves every protocol on one port. */
export async function startDockhandServer(options: DockhandServerOptions): Promise<DockhandServer> {
  const { config, logger } = options;
  const loopbackBind = await checkExposure(config);
  const tlsFiles: TlsFiles | undefined = config.tlsCert
    ? { cert: config.tlsCert, key: config.tlsKey, clientCa: config.tlsClientCa }
    : undefined;
  const tlsContext = tlsFiles && readTlsMaterial(tlsFiles);
  const access = createAccessControl({
    tokensFile: config.authTokensFile,
    clientCertificates: config.tlsClientCa !== "",
    onReloadError: (err) =>
      logger.error({ err: err.message }, "tokens file changed but cannot be used; the previous tokens stay in force"),
  });
  // What has been started so far, closed again (newest first) when a later step fails, so a
  // failed start-up leaves nothing running that would keep the process alive.
  const undo: Array<() => unknown> = [() => access.close()];
  try {
    // Off unless the standard OTEL_* variables ask for it; off, nothing below is wrapped.
    const tracing = startTracing(process.env, logger);
    if (tracing) undo.push(() => tracing.shutdown());
    // One dockhand per data directory: a second one would write the same state file.
    const unlockDataDir = await lockDataDir(config.dataDir);
    undo.push(unlockDataDir);
    const registry = await createServiceRegistry(createStateFile(config.dataDir));
    const metrics = createMetrics({ registry, engine: options.engine });
    const health = createEngineHealth({ engine: options.engine, logger });
    undo.push(() => health.close());
    // Every engine call is timed, counted and logged at debug with its request id; a call that
    // finds the engine gone makes health look again at once instead of at the next tick.
    const instrumentation: InstrumentOptions = {
      logger,
      context: () => ({ requestId: currentRequest()?.requestId }),
      onCall(record) {
        metrics.recordEngineCall(record);
        // Health follows what calls see at once, either way, rather than at the next ping.
        const reached = record.outcome !== "Unavailable";
        if (reached !== (health.current() === "SERVING")) void health.checkNow();
      },
      onStream: metrics.engineStreamOpened,
      span: tracing && engineCallSpans(tracing),
    };
    const engine = instrumentEngine(options.engine, instrumentation);
    await health.checkNow();
    const secrets = await createSecretStore(config.dataDir, config.secretsKeyFile || undefined);
    if (config.serviceFile) {
      // The genisys connector's services.py is read as literals, never executed.
      const read = config.serviceFile.endsWith(".py") ? readPythonServiceFile : readServiceFile;
      const fileDefinitions = await read(config.serviceFile);
      // What only the local backend can run is refused here as CreateService refuses it on swarm.
      if (config.orchestrator === "swarm")
        for (const def of fileDefinitions) checkSwarmDefinition(def, `service file: services.${def.name}.`);
      const result = await applyServiceFile(registry, fileDefinitions, secrets);
      logger.info({ file: config.serviceFile, ...result }, "applied service file");
    }
    const instance = await readOrCreateInstanceId(config.dataDir);
    // One store of the engine's containers, fed by the process's one engine event stream: the
    // orchestrator's view projects it, and ContainerAgent's lists are answered from it. A list is
    // checked against the engine's event log, which needs the engine's clock: a local engine only.
    const store = createContainerStore({
      engine,
      events: engine.events,
      logger,
      concurrency: config.scaleConcurrency,
      reachability: health,
      answersLists: config.dockerUrl.startsWith("unix:") && config.listCacheWaitMs > 0,
      catchUpMs: config.listCacheWaitMs,
      onList: metrics.recordListCacheAnswer,
    });
    undo.push(() => store.close());
    // Container lists (ContainerAgent's, and each Scale and reconcile pass's) come from the store
    // whenever it can vouch for them: an engine list walks every container the engine holds.
    const listingEngine = withStoreLists(engine, store);
    const controller = createOrchestrator({
      config,
      engine: listingEngine,
      store,
      registry,
      secrets,
      instance,
      health,
      logger,
      instrument: (client) => instrumentEngine(client, instrumentation),
    });
    // The autoscaler scales through the orchestrator as a person's Scale does; status shows its decisions.
    const autoscaler = createAutoscaler({
      registry,
      orchestrator: controller,
      streams: engine.containers,
      prometheusUrl: config.prometheusUrl,
      logger,
      onEvaluation: metrics.recordAutoscaleDecision,
    });
    const orchestrator = withAutoscaleStatus(controller, autoscaler);
    undo.push(() => orchestrator.close());
    await orchestrator.start();
    // The local backend starts the store; another backend may not need it, but the lists do.
    await store.start();
    // What the RPCs and the seeds' routes scale through: with tracing, a span around each Scale.
    const served = tracing ? tracedOrchestrator(orchestrator, tracing) : orchestrator;
    const accessGate = createAccessGate({
      access,
      audit: logger,
      onRefused(procedure, err, requestId) {
        metrics.recordRpc(procedure.slice(1), Code[err.code] ?? "Unknown", 0);
        writeRpcLine(logger, 0, err, { requestId: requestId ?? randomUUID(), procedure });
      },
    });
    const routes = createRoutes({
      engine: listingEngine,
      registry,
      orchestrator: served,
      config,
      health,
      secrets,
      logger,
    });
    const rpcHandlers: UniversalHandler[] = [];
    const rpc = connectNodeAdapter({
      routes: (router) => {
        routes(router);
        rpcHandlers.push(...router.handlers);
      },
      // Logging outermost and errors innermost, so both others see the final Connect code; the
      // access check refuses before any handler runs.
      interceptors: [
        createLoggingInterceptor(logger),
        ...(tracing ? [createTracingInterceptor()] : []),
        createMetricsInterceptor(metrics),
        createAuthInterceptor(access, logger),
        errorInterceptor,
        requestShapeInterceptor,
      ],
      contextValues: (req) => createContextValues().set(certSubjectKey, certSubjectOf(req)),
      // Larger messages are refused with RESOURCE_EXHAUSTED as their size is known, never
      // buffered whole (LoadImage's own, larger, limit is set on its route).
      readMaxBytes: config.maxMessageBytes,
      fallback: createHttpEndpoints({ health, metrics }),
      // Clients on loopback or a LAN gain nothing from gzip, and compressing a 200-container
      // listing cost more CPU than the engine's own list call (bench/agent.ts). Compressed
      // requests are still accepted; only messages over 4 MiB are compressed.
      compressMinBytes: 4 * 1024 * 1024,
      // Strict input: an unknown JSON field is refused (connect-es ignores it by default), and
      // a body that does not decode is the client's error, not an internal one.
      jsonOptions: { ignoreUnknownFields: false },
      // Before the body is read: the error correction is armed, then the caller is checked.
      requestGate: (context) => {
        clientErrorGate(context);
        accessGate(context);
      },
    });
    // Plain-HTTP routes beside the RPCs (the seeds' APIs, the dashboard), tried before them.
    const httpRoutes: HttpRoute[] = [createMediaTypeGuide(rpcHandlers)];
    if (config.compatGenisys) {
      const emptyForms = await loadGenisysEmptyForms(config.dataDir);
      httpRoutes.push(createGenisysRoute({ registry, orchestrator: served, access, logger, metrics, emptyForms }));
    }
    if (config.compatMistify)
      httpRoutes.push(
        createMistifyRoute({
          engine,
          imageService: config.mistifyImageService,
          limits: config,
          access,
          logger,
          metrics,
        }),
      );
    if (config.dashboard) httpRoutes.push(createDashboardRoute({ protocol: config.dashboardProtocol, logger }));
    // Against DNS rebinding and cross-origin pages: loopback trusts only its own names; a host
    // with credentials checks names too once the operator lists them.
    const auth = config.authTokensFile !== "" || config.tlsClientCa !== "";
    const boundary = createBrowserBoundary({
      checkHost: loopbackBind || !auth || config.allowedHosts.length > 0,
      bind: config.bind,
      allowedHosts: config.allowedHosts,
      corsOrigins: config.corsOrigins,
      tls: tlsFiles !== undefined,
    });
    const handler = createRequestHandler({
      boundary: boundary.route,
      cors: config.corsOrigins.length > 0 ? createCors({ origins: config.corsOrigins }) : undefined,
      routes: httpRoutes,
      rpc,
      access,
      metricsAuth: config.metricsAuth,
    });
    // Browsers reach the bidi sessions over a WebSocket, through the RPCs' own handlers.
    const websockets = createWebSocketCalls({
      handlers: rpcHandlers,
      methods: [ContainerAgent.method.execSession, ContainerAgent.method.attach],
      refusal: boundary.refusal,
      access,
      audit: logger,
      onRefused(procedure, err, requestId) {
        metrics.recordRpc(procedure.slice(1), Code[err.code] ?? "Unknown", 0);
        writeRpcLine(logger, 0, err, { requestId: requestId ?? randomUUID(), procedure });
      },
      limits: {
        idleTimeoutMs: config.websocketIdleTimeoutMs,
        maxSessionMs: config.websocketMaxSessionMs,
        maxMessageBytes: config.maxMessageBytes,
      },
    });
    const statusFastPath = createStatusFastPath({
      status: orchestrator.status,
      peek: orchestrator.peekStatus,
      metrics,
      logger,
      // Callers the access check would refuse go the Connect way, which refuses them.
      admits: (authorization, socket) =>
        !access.enabled ||
        access.check("/dockhand.v1.Scaler/GetStatus", { authorization, certSubject: certSubjectOfSocket(socket) })
          .allowed,
    });
    const fastPath = tracing ? traceStatusFastPath(statusFastPath, tracing) : statusFastPath;
    const server = createOnePortServer({
      handler: tracing ? traceRequests(handler, tracing) : handler,
      // A stream the boundary refuses goes on to the request handler, which answers the refusal.
      takeStream: (stream, headers) => boundary.refusal(headers) === undefined && fastPath(stream, headers),
      takeUpgrade: websockets.take,
      limits: config,
      tls: tlsContext && { context: tlsContext, requireClientCertificate: config.tlsClientCa !== "" },
    });
    const reloadTls = () => {
      if (!tlsFiles) return;
      try {
        server.setSecureContext(readTlsMaterial(tlsFiles));
        logger.info({ cert: tlsFiles.cert }, "TLS certificate and key reloaded");
      } catch (err) {
        logger.error(
          { err: (err as Error).message },
          "TLS files changed but cannot be used; the previous certificate stays in use",
        );
      }
    };
    const stopWatchingTls = tlsFiles
      ? watchFiles([tlsFiles.cert, tlsFiles.key, ...(tlsFiles.clientCa ? [tlsFiles.clientCa] : [])], reloadTls, 1000)
      : () => undefined;
    undo.push(stopWatchingTls);
    const address = await server.listen(config.port, config.bind);
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return {
      port: address.port,
      url: `${tlsFiles ? "https" : "http"}://${host}:${address.port}`,
      reload: () => {
        reloadTls();
        access.reload();
      },
      instance,
      registry,
      orchestrator,
      close: async () => {
        // Work under way (a reconcile pass) ends before the store it reads closes, so no container
        // it creates appears after close. It ends alongside the drain of calls, within the same grace.
        const closing = Promise.race([orchestrator.close(), sleep(config.shutdownGraceMs, undefined, { ref: false })]);
        websockets.close();
        await server.close(config.shutdownGraceMs);
        await closing;
        store.close();
        health.close();
        stopWatchingTls();
        access.close();
        await unlockDataDir();
        await tracing?.shutdown();
      },
    };
  } catch (err) {
    for (const close of undo.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
    throw err;
  }
}

/**
 * The port is as powerful as the Docker socket: off loopback it needs TLS and credentials
 * (tokens or mTLS) unless the operator says --insecure. Returns whether the bind is loopback.
 */
async function checkExposure(config: Config): Promise<boolean> {
  if (config.tlsCert === "" && config.tlsKey !== "")
    throw new ConfigError("--tls-key is set without --tls-cert: give both, or neither");
  if (config.tlsCert !== "" && config.tlsKey === "")
    throw new ConfigError("--tls-cert is set without --tls-key: give both, or neither");
  if (config.tlsClientCa !== "" && config.tlsCert === "")
    throw new ConfigError("--tls-client-ca (mTLS) needs TLS: give --tls-cert and --tls-key too");
  const auth = config.authTokensFile !== "" || config.tlsClientCa !== "";
  // Any origin may call only where each call must carry a token, which no page holds unless its
  // user typed it in; a browser would present a client certificate, or reach a loopback port, by itself.
  if (config.corsOrigins.includes("*") && config.authTokensFile === "") {
    throw new ConfigError(
      "--cors-origins: * (any origin) needs --auth-tokens, so that every call carries a token; list the dashboard origins instead",
    );
  }
  const loopback = await isLoopback(config.bind);
  if (loopback || config.insecure) return loopback;
  if (config.tlsCert === "" || !auth) {
    throw new ConfigError(
      `--bind ${config.bind} is not loopback, and dockhand's port is as powerful as root on the Docker host. ` +
        "Serve TLS (--tls-cert, --tls-key) with tokens (--auth-tokens) or client certificates (--tls-client-ca), " +
        "bind to 127.0.0.1, or accept the risk with --insecure.",
    );
  }
  return false;
}
