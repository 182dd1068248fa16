import { ConnectError } from "@connectrpc/connect";
import { clientUsage, parseClientArgs, UsageError } from "./client-args.js";
import { createClientTransport } from "./client-transport.js";
import { runAttach } from "./attach-command.js";
import { runCopy } from "./cp-command.js";
import { runExec } from "./exec-command.js";

/** Exit code when dockhand itself (the client, the server or the engine) failed, as docker's 125. */
const failed = 125;

/** Runs `dockhand exec|attach|cp ...`; resolves with the process's exit code. */
export async function runClient(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    if (argv.slice(1).some((a) => a === "--help" || a === "-h")) {
      process.stdout.write(clientUsage);
      return 0;
    }
    const args = parseClientArgs(argv, env);
    const transport = createClientTransport(args);
    switch (args.command) {
      case "exec":
        return await runExec(args, transport);
      case "attach":
        return await runAttach(args, transport);
      case "cp":
        return await runCopy(args, transport);
    }
  } catch (err) {
    if (err instanceof UsageError) process.stderr.write(`dockhand: ${err.message}\n${clientUsage}`);
    else if (err instanceof ConnectError)
      process.stderr.write(`dockhand ${argv[0]}: ${err.rawMessage} (${codeName(err)})\n`);
    else process.stderr.write(`dockhand ${argv[0]}: ${(err as Error).message}\n`);
    return failed;
  }
}

function codeName(err: ConnectError): string {
  return err.message.slice(1, err.message.indexOf("]"));
}

/**
 * Runs the client, then exits with its code once stdout and stderr are flushed: an idle HTTP/2
 * connection or the terminal's stdin must not keep the process waiting.
 */
export async function runClientAndExit(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<never> {
  const code = await runClient(argv, env);
  for (const stream of [process.stdout, process.stderr]) await new Promise((resolve) => stream.write("", resolve));
  process.exit(code);
}
