import type Docker from "dockerode";
import type { ImageProgressEvent } from "../image-control.js";

/** One JSON message of the engine's pull, push or load output stream. */
export interface EngineStreamMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** Output text of `docker load`, e.g. `Loaded image: app:1\n`. */
  stream?: string;
  /** Structured result, e.g. a push's `{Tag, Digest, Size}`. */
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/** An `{"error": ...}` message the engine put inside an otherwise successful (200) stream. */
export class EngineStreamError extends Error {
  override readonly name = "EngineStreamError";
  /** The `errorDetail.code` when the engine gave one (the engine rarely does). */
  readonly code: number | undefined;

  constructor(message: string, code: number | undefined) {
    super(message);
    this.code = code;
  }
}

export function toProgressEvent(message: EngineStreamMessage): ImageProgressEvent {
  return {
    layerId: message.id ?? "",
    status: message.status ?? "",
    currentBytes: Math.max(0, message.progressDetail?.current ?? 0),
    totalBytes: Math.max(0, message.progressDetail?.total ?? 0),
  };
}

/**
 * Reads a pull/push/load output stream to its end with docker-modem's line-buffered
 * `followProgress`. The HTTP status of such a stream is 200 even when the work fails: failures
 * arrive as `{"error": ...}` messages inside it, so the first one is kept and the promise
 * rejects with it once the stream ends (the engine ends it right after the error).
 */
export function followStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onMessage?: (message: EngineStreamMessage) => void,
): Promise<EngineStreamMessage[]> {
  return new Promise((resolve, reject) => {
    let failure: EngineStreamError | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: EngineStreamMessage[]) => {
        if (failure) reject(failure);
        else if (err) reject(err);
        else resolve(output);
      },
      (message: EngineStreamMessage) => {
        if (message.error !== undefined || message.errorDetail !== undefined) {
          failure ??= new EngineStreamError(
            message.errorDetail?.message ?? message.error ?? "unknown error",
            message.errorDetail?.code,
          );
          return;
        }
        if (!failure) onMessage?.(message);
      },
    );
  });
}
