import type http2 from "node:http2";

export interface IdleSessions {
  /** Closes every session gracefully (GOAWAY): calls in flight finish. */
  closeAll(): void;
}

/**
 * Closes an HTTP/2 session once it has had no stream open for `idleMs`. Node's own session
 * timeout counts quiet time instead, which would cut a long WatchStatus that has nothing to say.
 */
export function trackIdleSessions(server: http2.Http2Server, idleMs: number): IdleSessions {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    let open = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => session.close(), idleMs);
      timer.unref();
    };
    arm();
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      open += 1;
      clearTimeout(timer);
      stream.once("close", () => {
        open -= 1;
        if (open === 0 && !session.closed) arm();
      });
    });
    session.once("close", () => {
      clearTimeout(timer);
      sessions.delete(session);
    });
  });
  return {
    closeAll() {
      for (const session of sessions) session.close();
    },
  };
}
