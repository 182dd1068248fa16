/**
 * One HTTP/2 connection for thin unary gRPC calls (as bench/raw-grpc-client.ts makes them:
 * replies checked for grpc-status 0 and measured, never decoded), each call with its own
 * request message, so that one connection can ask about many services.
 */
import { connect, constants } from "node:http2";

export interface ThinGrpcConnection {
  /** Calls `path` with an encoded request message; resolves with the reply's size in bytes. */
  call(path: string, requestMessage: Uint8Array): Promise<number>;
  close(): void;
}

/** The gRPC frame of one message: a zero flag, the length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export function openThinGrpcConnection(baseUrl: string): ThinGrpcConnection {
  const session = connect(baseUrl);
  session.on("error", () => undefined);
  return {
    call(path, requestMessage) {
      return new Promise((resolve, reject) => {
        const stream = session.request(
          { [constants.HTTP2_HEADER_METHOD]: "POST", [constants.HTTP2_HEADER_PATH]: path, [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto", te: "trailers" },
          { endStream: false },
        );
        let size = 0;
        let status: string | undefined;
        stream.on("response", (h) => (status = h["grpc-status"] as string | undefined));
        stream.on("trailers", (t) => (status = (t["grpc-status"] as string | undefined) ?? status));
        stream.on("data", (chunk: Buffer) => (size += chunk.length));
        stream.on("error", reject);
        stream.on("end", () => (status === "0" ? resolve(size) : reject(new Error(`${path}: grpc-status ${status}`))));
        stream.end(grpcFrame(requestMessage));
      });
    },
    close: () => session.close(),
  };
}
