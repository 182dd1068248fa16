import { Code } from "@connectrpc/connect";
import { boundMessage } from "../../model/quote.js";
import type { HttpResponse } from "../../transport/http-route.js";
import type { Refusal } from "../route-calls.js";

/** The seed's own texts, which its users may have matched. */
export const texts = {
  noData: "No data received",
  missingParameters: "Missing parameters.",
  missingParameter: "Missing parameter.",
  invalidNumber: "Invalid value for number parameter.",
  tooLarge: "Request to large",
  methodNotAllowed: "Method not allowed.",
  undefinedService: (name: string) => `Undefined service: ${name.length > 80 ? `${name.slice(0, 80)}...` : name}.`,
};

export function answerJson(res: HttpResponse, status: number, body: unknown): void {
  // A newline after the JSON, so that curl's output ends its line.
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** 200 with an empty body: the seed's answer to POST, PUT and scale, which its client ignores. */
export function answerEmpty(res: HttpResponse): void {
  res.writeHead(200, { "content-length": 0 });
  res.end();
}

/** An error as a small JSON object, where the seed sent an HTML page: `{"error": "..."}`. */
export function answerError(
  res: HttpResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify({ error: boundMessage(message) })}\n`;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function refuseGenisys(res: HttpResponse, refusal: Refusal): void {
  answerError(
    res,
    refusal.status,
    refusal.message,
    refusal.code === Code.Unauthenticated ? { "www-authenticate": "Bearer" } : {},
  );
}

/** The HTTP status a failure of the domain answers with; the seed's where it had one. */
export function statusOfCode(code: Code): number {
  switch (code) {
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return 400;
    case Code.NotFound:
      return 501;
    case Code.Unauthenticated:
      return 401;
    case Code.PermissionDenied:
      return 403;
    case Code.AlreadyExists:
    case Code.Aborted:
    case Code.FailedPrecondition:
      return 409;
    case Code.ResourceExhausted:
      return 429;
    case Code.Unavailable:
      return 503;
    case Code.DeadlineExceeded:
      return 504;
    case Code.Canceled:
      return 499;
    default:
      return 500;
  }
}
