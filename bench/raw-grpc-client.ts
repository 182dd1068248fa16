/**
 * A deliberately thin gRPC caller for benchmarks: requests framed once, sent over plain
 * node:http2, and answers checked only for grpc-status 0 and their size, never decoded. With
 * server and client sharing two cores, a full client (connect-node, decoding every reply) takes
 * CPU the server would otherwise use; this one shows what the server itself can answer.
 */
import { connect, constants } from "node:http2";

/** The gRPC frame of one message: a zero flag, the length, the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** One HTTP/2 connection for thin unary calls, each to any path with its own framed request. */
export interface ThinGrpcConnection {
  /** Calls `path` with a framed request (`grpcFrame`); resolves with the reply's size in bytes, rejects unless grpc-status is 0. */
  call(path: string, frame: Buffer): Promise<number>;
  close(): void;
}

export function openThinGrpcConnection(baseUrl: string): ThinGrpcConnection {
  const session = connect(baseUrl);
  session.on("error", () => undefined);
  return {
    call(path, frame) {
      return new Promise((resolve, reject) => {
        const stream = session.request(
          {
            [constants.HTTP2_HEADER_METHOD]: "POST",
            [constants.HTTP2_HEADER_PATH]: path,
            [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto",
            te: "trailers",
          },
          { endStream: false },
        );
        let size = 0;
        let status: string | undefined;
        stream.on("response", (h) => (status = h["grpc-status"] as string | undefined));
        stream.on("trailers", (t) => (status = (t["grpc-status"] as string | undefined) ?? status));
        stream.on("data", (chunk: Buffer) => (size += chunk.length));
        stream.on("error", reject);
        stream.on("end", () => (status === "0" ? resolve(size) : reject(new Error(`${path}: grpc-status ${status}`))));
        stream.end(frame);
      });
    },
    close: () => session.close(),
  };
}

export interface RawUnaryCaller {
  /** Calls once; resolves with the reply's size in bytes, rejects unless grpc-status is 0. */
  call(): Promise<number>;
  close(): void;
}

/** One connection calling one path with one request, framed once. */
export function createRawUnaryCaller(baseUrl: string, path: string, requestMessage: Uint8Array): RawUnaryCaller {
  const frame = grpcFrame(requestMessage);
  const connection = openThinGrpcConnection(baseUrl);
  return { call: () => connection.call(path, frame), close: () => connection.close() };
}
