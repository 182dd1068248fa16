import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ExecSessionRequestSchema,
  ExecSessionResponseSchema,
  type ExecSessionResponse,
} from "../gen/dockhand/v1/agent_interactive_pb.js";
import { currentToken } from "./api.js";

export type ConsoleRequest = MessageInitShape<typeof ExecSessionRequestSchema>;

export interface ConsoleSocketEvents {
  message(response: ExecSessionResponse): void;
  /** The socket closed: 1000 after the last message, 4000 + a gRPC code with its message otherwise. */
  closed(code: number, reason: string): void;
}

export interface ConsoleSocket {
  /** Sends one request (held until the socket opens). */
  send(request: ConsoleRequest): void;
  /** Closes the socket, which cancels the session (its command is stopped). */
  close(): void;
}

function base64url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * ContainerAgent.ExecSession over dockhand's WebSocket (docs/streams.md): browsers cannot stream
 * upward over gRPC-web or Connect. One protobuf message per binary frame; the token, when the
 * tab holds one, in a subprotocol, never in the URL.
 */
export function openConsoleSocket(events: ConsoleSocketEvents): ConsoleSocket {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const token = currentToken();
  const protocols = ["dockhand.v1", ...(token ? [`dockhand.bearer.${base64url(token)}`] : [])];
  const ws = new WebSocket(`${scheme}://${location.host}/dockhand.v1.ContainerAgent/ExecSession`, protocols);
  ws.binaryType = "arraybuffer";
  const waiting: Uint8Array[] = [];
  ws.onopen = () => {
    for (const frame of waiting.splice(0)) ws.send(frame);
  };
  ws.onmessage = (e: MessageEvent<ArrayBuffer>) =>
    events.message(fromBinary(ExecSessionResponseSchema, new Uint8Array(e.data)));
  ws.onclose = (e) => events.closed(e.code, e.reason);
  return {
    send(request) {
      const frame = toBinary(ExecSessionRequestSchema, create(ExecSessionRequestSchema, request));
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      else if (ws.readyState === WebSocket.CONNECTING) waiting.push(frame);
    },
    close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
    },
  };
}
