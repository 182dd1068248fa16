import { randomUUID } from "node:crypto";
import type http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Logger } from "pino";
import { DockhandError } from "../model/dockhand-error.js";
import type { Orchestrator } from "../orchestrator/orchestrator.js";
import { statusToProto } from "../rpc/scaler/status-mapping.js";
import { GetStatusRequestSchema, GetStatusResponseSchema } from "../../gen/dockhand/v1/scaler_pb.js";
import { toConnectError } from "./error-codes.js";
import type { Metrics } from "./metrics.js";

export interface StatusFastPathOptions {
  /** Reads a service's status (through the domain's status cache). */
  status: Orchestrator["status"];
  /** Names each service whose status may have changed, for every input status reads. */
  onStatusChange: Orchestrator["onStatusChange"];
  /** False while status may lag what runs: nothing cached is answered. */
  trusted: () => boolean;
  metrics: Pick<Metrics, "recordRpc">;
  logger: Logger;
  /** False for a caller the access check would refuse: such calls go on to Connect, which refuses them. */
  admits?: (authorization: string | undefined, socket: unknown) => boolean;
}

const path = "/dockhand.v1.Scaler/GetStatus";
const procedure = "dockhand.v1.Scaler/GetStatus";
const grpcTypes = new Set(["application/grpc", "application/grpc+proto"]);
/** A GetStatusRequest is a name of at most 63 characters: anything larger is not one. */
const maxRequestBytes = 1024;

/**
 * Unary gRPC GetStatus, the call dashboards and orchestrators poll, answered on the raw HTTP/2
 * stream without the Connect stack or Node's request/response layer: the encoded response of each service is cached until the live view, the
 * stored definition or the desired count changes. It takes only plain (uncompressed) gRPC over
 * HTTP/2; every other request, and every other protocol, goes on to the Connect handler.
 * Returns false when the request is not its to answer.
 */
export function createStatusFastPath(options: StatusFastPathOptions): (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean {
  const { metrics, logger, trusted } = options;
  const cache = new Map<string, Buffer>();
  const generations = new Map<string, number>();
  // Dropped at every change of what status reads.
  options.onStatusChange((service) => {
    cache.delete(service);
    generations.set(service, (generations.get(service) ?? 0) + 1);
  });

  /** The cached answer, when it is still the answer: read without a promise, on the hot path. */
  function cachedFrame(name: string): Buffer | undefined {
    return trusted() ? cache.get(name) : undefined;
  }

  async function frameFor(name: string): Promise<Buffer> {
    const generation = generations.get(name) ?? 0;
    const status = await options.status(name);
    const bytes = toBinary(GetStatusResponseSchema, create(GetStatusResponseSchema, { status: statusToProto(status) }));
    const frame = Buffer.alloc(5 + bytes.length);
    frame.writeUInt32BE(bytes.length, 1);
    frame.set(bytes, 5);
    // Cached only when nothing changed while it was read.
    if ((generations.get(name) ?? 0) === generation && trusted()) cache.set(name, frame);
    return frame;
  }

  function decodeName(body: Buffer): string {
    if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
      throw new DockhandError("InvalidArgument", "malformed gRPC request: expected one uncompressed GetStatusRequest");
    }
    try {
      return fromBinary(GetStatusRequestSchema, body.subarray(5)).name;
    } catch (cause) {
      throw new DockhandError("InvalidArgument", "malformed GetStatusRequest", { cause });
    }
  }

  function answer(stream: http2.ServerHttp2Stream, frame: Buffer | undefined, failure?: { code: number; message: string }): void {
    if (stream.destroyed) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => {
      stream.sendTrailers(
        failure ? { "grpc-status": String(failure.code), "grpc-message": encodeURIComponent(failure.message) } : { "grpc-status": "0" },
      );
    });
    stream.end(frame);
  }

  return (stream, headers) => {
    if (headers[":method"] !== "POST" || headers[":path"] !== path || !grpcTypes.has(String(headers["content-type"]))) return false;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    if (options.admits && !options.admits(headers.authorization, stream.session?.socket)) return false;
    const started = performance.now();
    // Each call's log line carries a request id; none is made up when that line is not written.
    const logged = logger.isLevelEnabled("info");
    const requestId = logged ? String(headers["x-request-id"] ?? randomUUID()) : "";
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxRequestBytes) chunks.push(chunk);
    });
    stream.on("error", () => undefined);
    const done = (code: string) => {
      const seconds = (performance.now() - started) / 1000;
      metrics.recordRpc(procedure, code, seconds);
      if (logged) logger.info({ requestId, procedure: path, code, durationMs: Math.round(seconds * 10000) / 10 }, "rpc");
    };
    const fail = (err: unknown) => {
      const failure = toConnectError(err);
      answer(stream, undefined, { code: failure.code, message: failure.rawMessage });
      done(Code[failure.code] ?? "Unknown");
    };
    stream.on("end", () => {
      let name: string;
      try {
        if (size > maxRequestBytes) throw new DockhandError("ResourceExhausted", `a GetStatusRequest is at most ${maxRequestBytes} bytes`);
        name = decodeName(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      } catch (err) {
        fail(err);
        return;
      }
      const cached = cachedFrame(name);
      if (cached) {
        answer(stream, cached);
        done("OK");
        return;
      }
      frameFor(name).then((frame) => {
        answer(stream, frame);
        done("OK");
      }, fail);
    });
    return true;
  };
}
