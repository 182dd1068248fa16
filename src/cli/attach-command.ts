import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import type { AttachRequestSchema } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { AttachArgs } from "./client-args.js";
import { createInputQueue } from "./input-queue.js";
import { createLocalTerminal } from "./local-terminal.js";
import { readStdin, writeOutput } from "./session-output.js";

type Request = MessageInitShape<typeof AttachRequestSchema>;

/** Ctrl-P then Ctrl-Q, docker's keys to detach from a terminal. */
const detachKeys = [0x10, 0x11] as const;

/**
 * `dockhand attach`: the container's main process's output, and the local stdin to its stdin
 * when it was created with one open (docker run -i). In a terminal, Ctrl-P Ctrl-Q detaches; without
 * one, Ctrl-C does. Resolves with the process's exit code, or 0 once detached.
 */
export async function runAttach(args: AttachArgs, transport: Transport): Promise<number> {
  try {
    return await attach(args, transport, args.stdin);
  } catch (err) {
    // stdin is wanted only when the container has one open: retry without it, as docker does.
    const refused = ConnectError.from(err);
    if (args.stdin && refused.code === Code.FailedPrecondition && refused.rawMessage.includes("stdin"))
      return attach(args, transport, false);
    throw err;
  }
}

async function attach(args: AttachArgs, transport: Transport, stdin: boolean): Promise<number> {
  const agent = createClient(ContainerAgent, transport);
  const terminal = createLocalTerminal();
  const requests = createInputQueue<Request>();
  const detach = () => requests.push({ item: { case: "detach", value: {} } });
  requests.push({ item: { case: "open", value: { id: args.container, stdin } } });
  let stopStdin = () => undefined as void;
  let pressed = 0;
  const onStdin = (chunk: Buffer) => {
    for (const byte of chunk) {
      pressed = byte === detachKeys[pressed] ? pressed + 1 : byte === detachKeys[0] ? 1 : 0;
      if (pressed === detachKeys.length) return detach();
    }
    requests.push({ item: { case: "stdin", value: chunk } });
  };
  process.once("SIGINT", detach);
  let exitCode = 0;
  try {
    for await (const res of agent.attach(requests)) {
      switch (res.item.case) {
        case "started":
          if (res.item.value.tty) {
            const size = terminal.size();
            if (size) requests.push({ item: { case: "resize", value: size } });
            terminal.onResize((s) => requests.push({ item: { case: "resize", value: s } }));
            if (stdin) terminal.enterRaw();
          }
          // The end of local input leaves the process's stdin open: the engine ends an attach's output
          // when its stdin closes, and the answer to what was just sent would be lost.
          if (stdin)
            stopStdin = readStdin(
              onStdin,
              () => undefined,
              () => requests.length,
            );
          break;
        case "output":
          await writeOutput(res.item.value);
          break;
        case "ended":
          exitCode = res.item.value.reason.case === "exitCode" ? res.item.value.reason.value : 0;
          break;
      }
    }
  } finally {
    process.off("SIGINT", detach);
    terminal.restore();
    stopStdin();
    requests.end();
  }
  return exitCode < 0 ? 125 : exitCode;
}
