/** A test's WebSocket session with dockhand: protobuf messages one per binary frame, answers kept as they come. */
import {
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  create,
} from "@bufbuild/protobuf";
import { WebSocket } from "ws";
import { until } from "./until.js";

export interface WebSocketSession<O extends DescMessage> {
  readonly ws: WebSocket;
  /** Every answer decoded so far. */
  readonly seen: Array<MessageShape<O>>;
  send(message: MessageInitShape<DescMessage>): void;
  /** Waits until `predicate` holds for the answers seen so far. */
  until(predicate: (seen: Array<MessageShape<O>>) => boolean, what: string): Promise<void>;
  /** Resolves with the close code and reason once the server closed the socket. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** What an upgrade refused over HTTP answered, or the open session. */
export type Opened<O extends DescMessage> =
  { refused: { status: number; body: string } } | { refused?: undefined; session: WebSocketSession<O> };

/** Opens a WebSocket to `url` (http:// or https:// turned ws:// or wss://) with these subprotocols and headers. */
export function openWebSocket<I extends DescMessage, O extends DescMessage>(
  url: string,
  input: I,
  output: O,
  options: { protocols?: string[]; headers?: Record<string, string>; ca?: string; cert?: string; key?: string } = {},
): Promise<Opened<O>> {
  const ws = new WebSocket(url.replace(/^http/, "ws"), options.protocols ?? ["dockhand.v1"], {
    headers: options.headers,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
  });
  const seen: Array<MessageShape<O>> = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("message", (data: Buffer) => seen.push(fromBinary(output, data)));
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ refused: { status: res.statusCode ?? 0, body } }));
    });
    ws.once("error", reject);
    ws.once("open", () => {
      ws.off("error", reject);
      ws.on("error", () => undefined);
      resolve({
        session: {
          ws,
          seen,
          send: (message) => ws.send(toBinary(input, create(input, message as MessageInitShape<I>))),
          until: (predicate, what) =>
            until(() => predicate(seen)).then(
              () => undefined,
              (err: Error) => {
                throw new Error(`${what}: ${err.message} (${seen.length} answers seen)`);
              },
            ),
          closed,
        },
      });
    });
  });
}
