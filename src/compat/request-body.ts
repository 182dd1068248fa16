import type { HttpRequest } from "../transport/http-route.js";

export type BodyResult = { kind: "ok"; bytes: Buffer } | { kind: "too-large" } | { kind: "aborted" };

/**
 * Reads a request body of at most `maxBytes`. An announced length over the limit is refused
 * before anything is read, and reading stops as soon as the bytes received pass it.
 */
export async function readRequestBody(req: HttpRequest, maxBytes: number): Promise<BodyResult> {
  const announced = Number(req.headers["content-length"] ?? NaN);
  if (announced > maxBytes) return { kind: "too-large" };
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) return { kind: "too-large" };
      chunks.push(chunk);
    }
  } catch {
    return { kind: "aborted" };
  }
  return { kind: "ok", bytes: Buffer.concat(chunks) };
}

/** The media type of the request without parameters, lower-cased; "" when absent. */
export function mediaTypeOf(req: HttpRequest): string {
  const header = req.headers["content-type"];
  return (Array.isArray(header) ? header[0] : (header ?? "")).split(";", 1)[0].trim().toLowerCase();
}
