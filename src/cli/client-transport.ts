import { readFileSync } from "node:fs";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { UsageError, type ConnectionArgs } from "./client-args.js";

function readSetting(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
}

/** gRPC over HTTP/2 to the server, carrying the token file's token as a bearer credential, and a client certificate when given. */
export function createClientTransport(args: ConnectionArgs): Transport {
  const token = args.tokenFile ? readSetting(args.tokenFile, "token file").trim() : undefined;
  if (token === "") throw new UsageError(`the token file ${args.tokenFile} is empty`);
  const withToken: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createGrpcTransport({
    baseUrl: args.url,
    interceptors: token ? [withToken] : [],
    nodeOptions: {
      ...(args.caFile ? { ca: readSetting(args.caFile, "CA file") } : {}),
      ...(args.certFile && args.keyFile
        ? { cert: readSetting(args.certFile, "certificate file"), key: readSetting(args.keyFile, "key file") }
        : {}),
    },
  });
}
