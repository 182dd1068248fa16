import { randomUUID } from "node:crypto";
import type http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { grpcStatusOk, parseTimeout } from "@connectrpc/connect/protocol-grpc";
import type { Logger } from "pino";
import { DockhandError } from "../model/dockhand-error.js";
import type { Orchestrator } from "../orchestrator/orchestrator.js";
import type { ServiceStatusView } from "../orchestrator/service-status.js";
import { statusToProto } from "../rpc/scaler/status-mapping.js";
import { GetStatusRequestSchema, GetStatusResponseSchema } from "../../gen/dockhand/v1/scaler_pb.js";
import { toConnectError } from "./error-codes.js";
import type { Metrics } from "./metrics.js";
import { codeName, writeRpcLine } from "./rpc-log.js";

export interface StatusFastPathOptions {
  /** Reads a service's status (through the domain's status cache). */
  status: Orchestrator["status"];
  /** The domain status cache's answer when it holds one that is still the answer; never reads. */
  peek: Orchestrator["peekStatus"];
  metrics: Pick<Metrics, "recordRpc">;
  logger: Logger;
  /** False for a caller the access check would refuse: such calls go on to Connect, which refuses them. */
  admits?: (authorization: string | undefined, socket: unknown) => boolean;
}

const path = "/dockhand.v1.Scaler/GetStatus";
const procedure = "dockhand.v1.Scaler/GetStatus";
const grpcTypes = new Set(["application/grpc", "application/grpc+proto"]);
/** The longest deadline a caller may ask for, as the Connect handler allows (gRPC's 8-digit hours). */
const maxTimeoutMs = Number.MAX_SAFE_INTEGER;
/** A GetStatusRequest is a name of at most 63 characters: anything larger is not one. */
const maxRequestBytes = 1024;

/**
 * Unary gRPC GetStatus, the call dashboards and orchestrators poll, answered on the raw HTTP/2
 * stream without the Connect stack or Node's request/response layer. Kept because Connect with
 * the domain status cache reached about a tenth of its throughput (`npm run bench:status`).
 *
 * It is a transport detail only: status comes from the orchestrator (through the domain status
 * cache), the frame from connect-es's envelope helper, the deadline from connect-es's
 * `grpc-timeout` parser, the error code from the one error mapping, and the log line and
 * metrics from the same functions the interceptors use. It keeps no cache of its own: it peeks
 * at the domain status cache and remembers only the encoding of the answer that cache holds. It
 * takes only plain (uncompressed)
 * gRPC over HTTP/2; everything else goes on to the Connect handler. Returns false when the
 * request is not its to answer.
 */
export function createStatusFastPath(
  options: StatusFastPathOptions,
): (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean {
  const { metrics, logger } = options;
  // The encoded answer of each status the domain cache holds: the cache hands out the same
  // object until that service changes, so the encoding lives exactly as long as the answer.
  const encoded = new WeakMap<ServiceStatusView, Buffer>();

  function frameOf(status: ServiceStatusView): Buffer {
    let frame = encoded.get(status);
    if (!frame) {
      const envelope = encodeEnvelope(
        0,
        toBinary(GetStatusResponseSchema, create(GetStatusResponseSchema, { status: statusToProto(status) })),
      );
      frame = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
      encoded.set(status, frame);
    }
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

  function answer(stream: http2.ServerHttp2Stream, frame: Buffer | undefined, failure?: ConnectError): void {
    if (stream.destroyed) return;
    stream.respond(
      { ":status": 200, "content-type": "application/grpc+proto", "x-content-type-options": "nosniff" },
      { waitForTrailers: true },
    );
    stream.once("wantTrailers", () => {
      stream.sendTrailers(
        failure
          ? { "grpc-status": String(failure.code), "grpc-message": encodeURIComponent(failure.rawMessage) }
          : { "grpc-status": grpcStatusOk },
      );
    });
    stream.end(frame);
  }

  /** Settles with the frame, or fails with DEADLINE_EXCEEDED when the caller's deadline comes first. */
  function withinDeadline(reading: Promise<Buffer>, timeoutMs: number | undefined): Promise<Buffer> {
    if (timeoutMs === undefined) return reading;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectError(`the call's deadline of ${timeoutMs} ms passed`, Code.DeadlineExceeded)),
        timeoutMs,
      );
    });
    return Promise.race([reading, expired]).finally(() => clearTimeout(timer));
  }

  return (stream, headers) => {
    if (headers[":method"] !== "POST" || headers[":path"] !== path || !grpcTypes.has(String(headers["content-type"])))
      return false;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    if (options.admits && !options.admits(headers.authorization, stream.session?.socket)) return false;
    const started = performance.now();
    const deadline = parseTimeout(
      typeof headers["grpc-timeout"] === "string" ? headers["grpc-timeout"] : null,
      maxTimeoutMs,
    );
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
    const done = (err?: ConnectError) => {
      const ms = performance.now() - started;
      metrics.recordRpc(procedure, codeName(err), ms / 1000);
      if (logged) writeRpcLine(logger, ms, err, { requestId, procedure: path });
    };
    const fail = (err: unknown) => {
      const failure = toConnectError(err);
      answer(stream, undefined, failure);
      done(failure);
    };
    stream.on("end", () => {
      let name: string;
      try {
        if (deadline.error) throw deadline.error;
        if (size > maxRequestBytes)
          throw new DockhandError("ResourceExhausted", `a GetStatusRequest is at most ${maxRequestBytes} bytes`);
        name = decodeName(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      } catch (err) {
        fail(err);
        return;
      }
      // Read without a promise on the hot path when the domain cache holds the answer.
      const cached = options.peek(name);
      if (cached) {
        answer(stream, frameOf(cached));
        done();
        return;
      }
      withinDeadline(options.status(name).then(frameOf), deadline.timeoutMs).then((frame) => {
        answer(stream, frame);
        done();
      }, fail);
    });
    return true;
  };
}
