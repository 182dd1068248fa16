/**
 * ContainerAgent's ExecSession and Attach: a process's stdin, output, terminal size and signals
 * over one bidirectional call. Each side goes at its reader's pace: output is read from the
 * engine only as fast as the client takes it, and the client's next message is read only once
 * its stdin bytes are on the engine's socket.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { InteractiveSession, OutputChunk, TerminalSize } from "../../engine/container-interactive.js";
import { invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { normalizeSignal } from "../../model/linux-names.js";
import { quote } from "../../model/quote.js";
import { readAhead } from "../../lib/read-ahead.js";
import { OutputStream } from "../../../gen/dockhand/v1/agent_streams_pb.js";
import type {
  AttachRequest,
  AttachResponseSchema,
  ExecSessionOpen,
  ExecSessionRequest,
  ExecSessionResponseSchema,
  SendSignal,
} from "../../../gen/dockhand/v1/agent_interactive_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-refs.js";
import { checkExecFields } from "./exec-fields.js";
import { createSessionAudit } from "./session-audit.js";

/** Output read from the engine ahead of the client, so that reads and writes overlap. */
const readAheadBytes = 256 * 1024;

/** Largest terminal side accepted, in cells. */
const maxTerminalSide = 10_000;

/** How long an attach whose connection ended waits for the container to be seen stopped before calling it a detach. */
const exitSettleMs = 5_000;

const snakeNames: Record<string, string> = { closeStdin: "close_stdin" };

export function checkTerminalSize(size: TerminalSize, field: string): TerminalSize {
  for (const side of ["rows", "columns"] as const) {
    const value = size[side];
    if (value < 1 || value > maxTerminalSide) {
      throw invalidArgument(`${field}.${side}`, `must be from 1 to ${maxTerminalSide} (got ${value})`);
    }
  }
  return { rows: size.rows, columns: size.columns };
}

function signalOf(message: SendSignal): string {
  const signal = normalizeSignal(message.signal);
  if (!signal) {
    throw invalidArgument(
      "signal.signal",
      `${quote(message.signal)} is not a Linux signal (a name such as SIGINT or HUP, or a number from 1 to 64)`,
    );
  }
  return signal;
}

/** The first message, which must be `open`. */
async function openOf<M extends { item: { case: string | undefined; value?: unknown } }, O>(
  iterator: AsyncIterator<M>,
): Promise<O> {
  const first = await iterator.next();
  if (first.done) throw invalidArgument("open", "the request stream ended before the session was opened");
  const item = first.value.item;
  if (item.case !== "open") {
    const field = item.case === undefined ? "item" : (snakeNames[item.case] ?? item.case);
    throw invalidArgument(field, "sent before open: the first message must open the session");
  }
  return item.value as O;
}

function bytes(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function outputMessage(chunk: OutputChunk) {
  const stream = chunk.stream === "stderr" ? OutputStream.STDERR : OutputStream.STDOUT;
  return { case: "output" as const, value: { stream, data: chunk.data } };
}

/**
 * The session's output while `pump` feeds it the client's messages. A pump that fails (a bad
 * message) closes the session, and its error is thrown once the output has stopped.
 */
async function* relay(session: InteractiveSession, pump: Promise<void>): AsyncGenerator<OutputChunk> {
  let failure: { err: unknown } | undefined;
  pump.catch((err: unknown) => {
    failure = { err };
    void session.close();
  });
  for await (const chunk of readAhead(session.output, (c) => c.data.length, readAheadBytes)) yield chunk;
  if (failure) throw failure.err;
}

/** A resize that loses a race with the end of the process changes nothing; a bad size is the client's. */
async function resizeQuietly(session: InteractiveSession, size: TerminalSize): Promise<void> {
  await session.resize(size).catch((err: unknown) => {
    if (isDockhandError(err, "InvalidArgument")) throw err;
  });
}

export interface InteractiveSessionDeps {
  engine: Engine;
  /** Where the open and close lines of each session go. */
  audit: Pick<Logger, "info">;
}

type SessionMethods = Pick<ServiceImpl<typeof ContainerAgent>, "execSession" | "attach">;

export function createInteractiveSessions({ engine, audit }: InteractiveSessionDeps): SessionMethods {
  async function pumpExec(
    iterator: AsyncIterator<ExecSessionRequest>,
    session: InteractiveSession,
    open: ExecSessionOpen,
  ) {
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
          if (item.value.length > 0) await session.write(bytes(item.value));
          break;
        case "resize":
          if (!open.tty) throw invalidArgument("resize", "the session has no terminal (open.tty is false)");
          await resizeQuietly(session, checkTerminalSize(item.value, "resize"));
          break;
        case "closeStdin":
          if (open.stdin) session.closeStdin();
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

  return { execSession, attach };
}
