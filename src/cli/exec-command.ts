import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import type { ExecSessionRequestSchema } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { ExecArgs } from "./client-args.js";
import { createInputQueue } from "./input-queue.js";
import { createLocalTerminal } from "./local-terminal.js";
import { readStdin, writeOutput } from "./session-output.js";

type Request = MessageInitShape<typeof ExecSessionRequestSchema>;

/**
 * `dockhand exec`: runs a command in a container through ExecSession. With -i the local stdin
 * feeds it (its end closes the command's stdin); with -t it gets a terminal of the local size,
 * resized with it, and a local terminal goes raw for the session. Resolves with the command's
 * exit code.
 */
export async function runExec(args: ExecArgs, transport: Transport): Promise<number> {
  const agent = createClient(ContainerAgent, transport);
  const terminal = createLocalTerminal();
  const requests = createInputQueue<Request>();
  requests.push({
    item: {
      case: "open",
      value: {
        id: args.container,
        command: args.argv,
        tty: args.tty,
        stdin: args.interactive,
        environment: args.environment,
        workingDir: args.workingDir,
        user: args.user,
        terminalSize: args.tty ? terminal.size() : undefined,
      },
    },
  });
  if (args.tty) terminal.onResize((size) => requests.push({ item: { case: "resize", value: size } }));
  // Without a terminal to resize nor input to send, the request stream has nothing more to say.
  if (!args.tty && !args.interactive) requests.end();
  let stopStdin = () => undefined as void;
  if (args.interactive) {
    if (args.tty) terminal.enterRaw();
    stopStdin = readStdin(
      (chunk) => requests.push({ item: { case: "stdin", value: chunk } }),
      () => {
        requests.push({ item: { case: "closeStdin", value: {} } });
        if (!args.tty) requests.end();
      },
      () => requests.length,
    );
  }
  let exitCode = 125;
  try {
    for await (const res of agent.execSession(requests)) {
      if (res.item.case === "output") await writeOutput(res.item.value);
      else if (res.item.case === "result") exitCode = res.item.value.exitCode;
    }
  } finally {
    terminal.restore();
    stopStdin();
    requests.end();
  }
  return exitCode < 0 ? 125 : exitCode;
}
