/** ContainerAgent.ExecSession: a command with stdin and optionally a terminal, both ways over one call. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { InteractiveSession } from "../../engine/container-interactive.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import type {
  ExecSessionOpen,
  ExecSessionRequest,
  ExecSessionResponseSchema,
} from "../../../gen/dockhand/v1/agent_interactive_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-refs.js";
import { checkExecFields } from "./exec-fields.js";
import { createSessionAudit } from "./session-audit.js";
import {
  bytes,
  checkTerminalSize,
  openOf,
  outputMessage,
  relay,
  resizeQuietly,
  signalOf,
  type InteractiveSessionDeps,
} from "./session-relay.js";

export function createExecSession({
  engine,
  audit,
}: InteractiveSessionDeps): Pick<ServiceImpl<typeof ContainerAgent>, "execSession"> {
  async function pumpExec(
    iterator: AsyncIterator<ExecSessionRequest>,
    session: InteractiveSession,
    open: ExecSessionOpen,
  ) {
    let stdinClosed = false;
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        if (open.stdin) session.closeStdin();
        return;
      }
      const item = next.value.item;
      switch (item.case) {
        case "stdin":
          if (!open.stdin) throw invalidArgument("stdin", "the session was opened without stdin (open.stdin is false)");
          if (stdinClosed) throw invalidArgument("stdin", "sent after close_stdin");
          if (item.value.length > 0) await session.write(bytes(item.value));
          break;
        case "resize":
          if (!open.tty) throw invalidArgument("resize", "the session has no terminal (open.tty is false)");
          await resizeQuietly(session, checkTerminalSize(item.value, "resize"));
          break;
        case "closeStdin":
          if (open.stdin) session.closeStdin();
          stdinClosed = true;
          break;
        case "signal":
          await session.kill(signalOf(item.value));
          break;
        case "open":
          throw invalidArgument("open", "the session is already open");
        default:
          throw invalidArgument("item", "is required: stdin, resize, close_stdin or signal");
      }
    }
  }

  async function* execSession(
    requests: AsyncIterable<ExecSessionRequest>,
    ctx: HandlerContext,
  ): AsyncGenerator<MessageInitShape<typeof ExecSessionResponseSchema>> {
    const iterator = requests[Symbol.asyncIterator]();
    const open = await openOf<ExecSessionRequest, ExecSessionOpen>(iterator);
    const id = checkContainerRef(open.id, "open.id");
    checkExecFields(open, "open.");
    if (open.terminalSize && !open.tty) throw invalidArgument("open.terminal_size", "needs open.tty");
    const size = open.terminalSize ? checkTerminalSize(open.terminalSize, "open.terminal_size") : undefined;
    const record = createSessionAudit(audit, ctx, {
      container: id,
      command: open.command,
      tty: open.tty,
      stdin: open.stdin,
    });
    let exitCode: number | undefined;
    let failure: unknown;
    try {
      const session = await engine.containers.openExec(
        id,
        {
          command: open.command,
          env: open.environment,
          workingDir: open.workingDir || undefined,
          user: open.user || undefined,
          tty: open.tty,
          stdin: open.stdin,
          size,
        },
        ctx.signal,
      );
      const stop = () => void session.close();
      ctx.signal.addEventListener("abort", stop, { once: true });
      record.opened(open.tty);
      try {
        yield { item: { case: "started", value: { tty: open.tty } } };
        for await (const chunk of relay(session, pumpExec(iterator, session, open)))
          yield { item: outputMessage(chunk) };
        exitCode = await session.exitCode(ctx.signal);
        yield { item: { case: "result", value: { exitCode } } };
      } finally {
        ctx.signal.removeEventListener("abort", stop);
        await session.close();
      }
    } catch (err) {
      failure = err ?? new Error("failed");
      throw err;
    } finally {
      record.closed(failure, exitCode);
    }
  }

  return { execSession };
}
