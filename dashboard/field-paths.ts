import { Code, ConnectError } from "@connectrpc/connect";

/** Codes whose messages start with the request field they are about. */
const fieldCodes = new Set([Code.InvalidArgument, Code.FailedPrecondition, Code.PermissionDenied, Code.AlreadyExists]);

/**
 * The field a refusal's message starts with (`service.image: needs a tag`, `service.secrets[0].name:
 * secret "x" does not exist`), if any.
 */
export function fieldOf(err: unknown): string | undefined {
  const connectError = ConnectError.from(err);
  if (!fieldCodes.has(connectError.code)) return undefined;
  return /^([A-Za-z_][\w.[\]"=-]*): /.exec(connectError.rawMessage)?.[1];
}

/** The top-level field of a request field path: `service.ports[0].host_ip` -> `ports`. */
export function topField(field: string): string {
  return field.replace(/^service\./, "").split(/[.[]/)[0] ?? field;
}
