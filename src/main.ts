#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

/**
 * V8 lets old space fill to about twice what survived the last full collection before it
 * collects again. A busy server promotes short-lived request objects at megabytes a second, so
 * its resident memory sat at 2-3 times its live heap; collecting at 1.5 times keeps it near
 * (bench:status). Set here, not on the command line, so every way dockhand is started has it.
 */
setFlagsFromString("--heap-growing-percent=50");

/** Subcommands that are clients of a server (src/cli/); anything else, or `serve`, runs the server. */
const clientCommands = new Set(["exec", "attach", "cp"]);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (clientCommands.has(argv[0] ?? "")) {
    const { runClientAndExit } = await import("./cli/run-client.js");
    return runClientAndExit(argv, process.env);
  }
  // The server's modules are loaded only to serve: a client command starts without them.
  const [{ pino }, { createDockerEngine }, { isDockhandError }, { ConfigError, loadConfig, usage }] = await Promise.all(
    [
      import("pino"),
      import("./engine/docker/docker-engine.js"),
      import("./model/dockhand-error.js"),
      import("./app/config.js"),
    ],
  );
  const [{ startDockhandServer }, { CredentialsFileError }, { TlsMaterialError }] = await Promise.all([
    import("./app/dockhand-server.js"),
    import("./transport/auth/credentials-file.js"),
    import("./transport/tls-material.js"),
  ]);
  let config;
  try {
    config = loadConfig(argv[0] === "serve" ? argv.slice(1) : argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`dockhand: bad configuration: ${err.message}\n`);
    return 2;
  }
  if (config === "help") {
    process.stdout.write(
      `${usage}\nClient commands (see dockhand exec --help): dockhand exec, dockhand attach, dockhand cp\n`,
    );
    return 0;
  }
  const logger = pino({ level: config.logLevel, base: { service: "dockhand" } });
  const engine = createDockerEngine({
    url: config.dockerUrl,
    certPath: config.dockerCertPath || undefined,
    callTimeoutMs: config.engineCallTimeoutMs,
  });
  try {
    await engine.system.ping(AbortSignal.timeout(5000));
  } catch (err) {
    logger.warn(
      { dockerUrl: config.dockerUrl, err: (err as Error).message },
      "Docker engine does not answer yet; calls that need it fail with UNAVAILABLE until it does",
    );
  }
  // Signals are taken before start-up: one that came with no handler would end the process at
  // once, with no drain (a supervisor may signal as soon as it reads the "listening" line).
  const stopSignal = new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  let server: Awaited<ReturnType<typeof startDockhandServer>> | undefined;
  // SIGHUP re-reads the TLS certificate and key and the tokens file (both are also watched).
  // Taken from the start: a SIGHUP with no handler would end the process.
  process.on("SIGHUP", () => {
    logger.info("SIGHUP: reloading TLS files and tokens");
    server?.reload();
  });
  try {
    server = await startDockhandServer({ config, engine, logger });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof TlsMaterialError || err instanceof CredentialsFileError) {
      logger.fatal(`bad configuration: ${err.message}`);
      process.stderr.write(`dockhand: bad configuration: ${err.message}\n`);
      return 2;
    }
    const reason = isDockhandError(err) || (err as NodeJS.ErrnoException).code ? (err as Error).message : String(err);
    logger.fatal({ err }, `cannot start: ${reason}`);
    process.stderr.write(`dockhand: cannot start: ${reason}\n`);
    return 1;
  }
  logger.info(
    { url: server.url, dockerUrl: config.dockerUrl, dataDir: config.dataDir },
    "dockhand listening (gRPC, gRPC-web and Connect)",
  );

  logger.info({ signal: await stopSignal }, "shutting down: draining in-flight calls");
  const forced = setTimeout(() => {
    logger.error("shutdown took too long; exiting");
    process.exit(1);
  }, config.shutdownGraceMs + 1500);
  forced.unref();
  await server.close();
  logger.info("stopped");
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`dockhand: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
