import type http from "node:http";
import type http2 from "node:http2";
import type { TLSSocket } from "node:tls";

type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;

const subjects = new WeakMap<object, string | null>();

function tlsSocketOf(req: AnyRequest): TLSSocket | undefined {
  // Over HTTP/2, the request's `socket` is a proxy; the session holds the real TLS socket.
  const socket = "stream" in req && req.stream?.session ? req.stream.session.socket : req.socket;
  return socket && typeof (socket as TLSSocket).getPeerCertificate === "function" ? (socket as TLSSocket) : undefined;
}

/**
 * The identity in the client certificate that a verified mTLS connection presented: its
 * subject CN, or else its first DNS or URI subject alternative name. Undefined without one.
 */
export function certSubjectOf(req: AnyRequest): string | undefined {
  return certSubjectOfSocket(tlsSocketOf(req));
}

/** The same, for a connection's socket (over HTTP/2, the session's). */
export function certSubjectOfSocket(socket: unknown): string | undefined {
  if (!socket || typeof (socket as TLSSocket).getPeerCertificate !== "function" || !(socket as TLSSocket).authorized)
    return undefined;
  const key = socket as object;
  if (!subjects.has(key)) subjects.set(key, subjectOf((socket as TLSSocket).getPeerCertificate()));
  return subjects.get(key) ?? undefined;
}

function subjectOf(cert: ReturnType<TLSSocket["getPeerCertificate"]>): string | null {
  if (!cert || Object.keys(cert).length === 0) return null;
  const cn = cert.subject?.CN;
  if (typeof cn === "string" && cn !== "") return cn;
  if (Array.isArray(cn) && cn.length > 0) return String(cn[0]);
  for (const part of (cert.subjectaltname ?? "").split(/,\s*/)) {
    const match = /^(DNS|URI):(.+)$/.exec(part);
    if (match) return match[2];
  }
  return null;
}
