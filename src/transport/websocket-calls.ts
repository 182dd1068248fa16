import http from "node:http";
import type { Duplex } from "node:stream";
import type { DescMethodBiDiStreaming } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import { createUniversalHandlerClient, type UniversalHandler } from "@connectrpc/connect/protocol";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { createTransport } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { AccessControl } from "./auth/access-control.js";
import { isAudited, refusalCode, writeAudit } from "./auth/audit.js";
import { certSubjectKey } from "./auth/auth-interceptor.js";
import { certSubjectOf } from "./auth/peer-identity.js";
import type { UpgradeTaker } from "./one-port-server.js";
import { offeredProtocols, websocketAuthorization, websocketProtocol } from "./websocket-credentials.js";
import { runWebSocketSession, type WebSocketSessionLimits } from "./websocket-session.js";

export interface WebSocketCallsOptions {
  /**
   * The RPC handlers as the router built them (access gate, interceptors and all): a socket's
   * call runs through its method's handler in-process, so it is checked, audited, logged and
   * counted as the same call over gRPC is.
   */
  handlers: readonly UniversalHandler[];
  /** The bidi methods a socket may call, at their RPC path (`/dockhand.v1.ContainerAgent/ExecSession`). */
  methods: ReadonlyArray<DescMethodBiDiStreaming>;
  /** The browser boundary's check (Host, and Origin against --cors-origins): a refusal answers 403. */
  refusal: (headers: http.IncomingHttpHeaders) => string | undefined;
  access: AccessControl;
  /** Where refusals of calls that could change something are audited, as the access gate does. */
  audit: Logger;
  /** Told of every refusal, for the RPC log line and metrics the call would have written. */
  onRefused?: (procedure: string, err: ConnectError, requestId: string | null) => void;
  limits: WebSocketSessionLimits & {
    /** Largest frame a client may send, in bytes. */
    maxMessageBytes: number;
  };
}

export interface WebSocketCalls {
  /** Takes a WebSocket upgrade (answering it, or refusing it over HTTP); other upgrades are left alone. */
  take: UpgradeTaker;
  /** Closes every open session with 1001 (going away), cancelling its call. */
  close(): void;
}

/** Answers an upgrade request over HTTP and closes the connection: no session is opened. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\n` +
      `${status === 401 ? "www-authenticate: Bearer\r\n" : ""}connection: close\r\n\r\n${body}`,
  );
}

/**
 * ExecSession and Attach for browsers, which cannot stream upward over gRPC-web or Connect: a
 * WebSocket on the same port, at the method's own path, carrying its protobuf messages one per
 * binary frame (see docs/streams.md). Before the upgrade is answered, a request passes what
 * every request passes (Host and Origin: 403), offers the `dockhand.v1` subprotocol (400), and
 * carries credentials that pass the method's access check (401, 403): none of them opens a
 * session. The credential comes in the `authorization` header or a `dockhand.bearer.<base64url
 * token>` subprotocol, never in the URL.
 */
export function createWebSocketCalls(options: WebSocketCallsOptions): WebSocketCalls {
  const { access, limits } = options;
  const methods = new Map(options.methods.map((m) => [`/${m.parent.typeName}/${m.name}`, m]));
  const handlers = options.handlers.filter((h) => methods.has(h.requestPath));
  const sockets = new Set<WebSocket>();
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(websocketProtocol) ? websocketProtocol : false),
  });

  const take: UpgradeTaker = (req, socket, head) => {
    if (req.headers.upgrade?.toLowerCase() !== "websocket") return false;
    const procedure = (req.url ?? "").split("?")[0]!;
    const method = methods.get(procedure);
    const boundary = options.refusal(req.headers);
    if (boundary !== undefined) {
      refuse(socket, 403, boundary);
      return true;
    }
    if (!method) {
      refuse(socket, 404, `no WebSocket here: ${[...methods.keys()].join(" and ")} take one`);
      return true;
    }
    const offered = offeredProtocols(req.headers["sec-websocket-protocol"]);
    if (!offered.includes(websocketProtocol)) {
      refuse(socket, 400, `offer the WebSocket subprotocol ${websocketProtocol} (Sec-WebSocket-Protocol)`);
      return true;
    }
    const authorization = websocketAuthorization(req.headers.authorization, offered);
    const certSubject = certSubjectOf(req);
    const decision = access.check(procedure, { authorization, certSubject });
    if (!decision.allowed) {
      const err = new ConnectError(decision.message, refusalCode(decision));
      if (isAudited(procedure)) writeAudit(options.audit, procedure, undefined, Code[err.code]);
      const requestId = req.headers["x-request-id"];
      options.onRefused?.(procedure, err, typeof requestId === "string" ? requestId : null);
      refuse(socket, codeToHttpStatus(err.code), decision.message);
      return true;
    }
    server.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.once("close", () => sockets.delete(ws));
      const contextValues = createContextValues().set(certSubjectKey, certSubject);
      const transport = createTransport({
        httpClient: createUniversalHandlerClient(
          handlers.map((h) => Object.assign((r: Parameters<UniversalHandler>[0]) => h({ ...r, contextValues }), h)),
        ),
        baseUrl: "http://in-process",
        useBinaryFormat: true,
        interceptors: [],
        acceptCompression: [],
        sendCompression: null,
        compressMinBytes: Number.MAX_SAFE_INTEGER,
        readMaxBytes: Number.MAX_SAFE_INTEGER,
        writeMaxBytes: Number.MAX_SAFE_INTEGER,
      });
      const header = new Headers();
      if (authorization !== undefined) header.set("authorization", authorization);
      const requestId = req.headers["x-request-id"];
      if (typeof requestId === "string") header.set("x-request-id", requestId);
      void runWebSocketSession(ws, method, transport, header, limits);
    });
    return true;
  };

  return {
    take,
    close() {
      for (const ws of sockets) ws.close(1001, "dockhand is shutting down");
    },
  };
}
