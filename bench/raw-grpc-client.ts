/**
 * A deliberately thin gRPC caller for benchmarks: one request, encoded once, sent over plain
 * node:http2, and an answer checked only for grpc-status 0 and its size, never decoded. With
 * server and client sharing two cores, a full client (connect-node, decoding every reply) takes
 * CPU the server would otherwise use; this one shows what the server itself can answer.
 */
import { connect, constants, type ClientHttp2Session } from "node:http2";

export interface RawUnaryCaller {
  /** Calls once; resolves with the reply's size in bytes, rejects unless grpc-status is 0. */
  call(): Promise<number>;
  close(): void;
}

export function createRawUnaryCaller(baseUrl: string, path: string, requestMessage: Uint8Array): RawUnaryCaller {
  const body = Buffer.alloc(5 + requestMessage.length);
  body.writeUInt32BE(requestMessage.length, 1);
  body.set(requestMessage, 5);
  const session: ClientHttp2Session = connect(baseUrl);
  const headers = {
    [constants.HTTP2_HEADER_METHOD]: "POST",
    [constants.HTTP2_HEADER_PATH]: path,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc+proto",
    te: "trailers",
  };
  return {
    call() {
      return new Promise((resolve, reject) => {
        const stream = session.request(headers, { endStream: false });
        let size = 0;
        let status: string | undefined;
        stream.on("response", (h) => (status = h["grpc-status"] as string | undefined));
        stream.on("trailers", (t) => (status = (t["grpc-status"] as string | undefined) ?? status));
        stream.on("data", (chunk: Buffer) => (size += chunk.length));
        stream.on("error", reject);
        stream.on("end", () => (status === "0" ? resolve(size) : reject(new Error(`grpc-status ${status}`))));
        stream.end(body);
      });
    },
    close: () => session.close(),
  };
}
