/** ContainerAgent.Attach: a running container's main process, both ways over one call; detaching leaves it running. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { InteractiveSession } from "../../engine/container-interactive.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import type { AttachRequest, AttachResponseSchema } from "../../../gen/dockhand/v1/agent_interactive_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-refs.js";
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

/** How long an attach whose connection ended waits for the container to be seen stopped before calling it a detach. */
const exitSettleMs = 5_000;

export function createAttachSession({
  engine,
  audit,
}: InteractiveSessionDeps): Pick<ServiceImpl<typeof ContainerAgent>, "attach"> {
  async function pumpAttach(
    iterator: AsyncIterator<AttachRequest>,
    session: InteractiveSession,
    stdin: boolean,
    onDetach: () => void,
  ) {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const item = next.value.item;
      switch (item.case) {
        case "stdin":
          if (!stdin) throw invalidArgument("stdin", "attached without stdin (open.stdin is false)");
          if (item.value.length > 0) await session.write(bytes(item.value));
          break;
        case "resize":
          if (!session.tty) throw invalidArgument("resize", "the container has no terminal");
          await resizeQuietly(session, checkTerminalSize(item.value, "resize"));
          break;
        case "closeStdin":
          if (stdin) session.closeStdin();
          break;
        case "signal":
          await session.kill(signalOf(item.value));
          break;
        case "detach":
          onDetach();
          await session.close();
          return;
        case "open":
          throw invalidArgument("open", "the session is already open");
        default:
          throw invalidArgument("item", "is required: stdin, resize, close_stdin, signal or detach");
      }
    }
  }

  async function* attach(
    requests: AsyncIterable<AttachRequest>,
    ctx: HandlerContext,
  ): AsyncGenerator<MessageInitShape<typeof AttachResponseSchema>> {
    const iterator = requests[Symbol.asyncIterator]();
    const open = await openOf<AttachRequest, Extract<AttachRequest["item"], { case: "open" }>["value"]>(iterator);
    const id = checkContainerRef(open.id, "open.id");
    const size = open.terminalSize ? checkTerminalSize(open.terminalSize, "open.terminal_size") : undefined;
    const record = createSessionAudit(audit, ctx, { container: id, tty: false, stdin: open.stdin });
    let exitCode: number | undefined;
    let failure: unknown;
    try {
      const session = await engine.containers.attach(id, { stdin: open.stdin, size }, ctx.signal);
      let detached = false;
      const stop = () => void session.close();
      ctx.signal.addEventListener("abort", stop, { once: true });
      try {
        if (size && !session.tty) throw invalidArgument("open.terminal_size", "the container has no terminal");
        record.opened(session.tty);
        yield { item: { case: "started", value: { tty: session.tty } } };
        const pump = pumpAttach(iterator, session, open.stdin, () => (detached = true));
        for await (const chunk of relay(session, pump)) yield { item: outputMessage(chunk) };
        if (!detached) {
          const settle = AbortSignal.any([ctx.signal, AbortSignal.timeout(exitSettleMs)]);
          exitCode = await session.exitCode(settle).catch(() => undefined);
        }
        const reason =
          exitCode === undefined
            ? { case: "detached" as const, value: {} }
            : { case: "exitCode" as const, value: exitCode };
        yield { item: { case: "ended", value: { reason } } };
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

  return { attach };
}
