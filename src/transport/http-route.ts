import type http from "node:http";
import type http2 from "node:http2";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;

/**
 * A plain-HTTP route beside the RPCs on the one port (the seeds' compatibility APIs, the
 * dashboard's assets). It answers the request and returns true, or returns false untouched.
 */
export type HttpRoute = (req: HttpRequest, res: HttpResponse) => boolean;
