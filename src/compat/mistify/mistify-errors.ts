import { isDockhandError } from "../../model/dockhand-error.js";
import { RpcMethodError, RpcTransportError } from "./json-rpc-envelope.js";

/** What a failed call was about, for the texts the mistify agent and its users match. */
export interface ErrorSubject {
  container?: string;
  image?: string;
}

/**
 * The envelope's `error` text for a failure, worded as go-dockerclient worded it where the
 * agent matches the text (`no such image`, `No such container: <id>`), else dockhand's message.
 */
export function mistifyErrorText(err: unknown, subject: ErrorSubject = {}): string {
  if (err instanceof RpcMethodError) return err.message;
  if (isDockhandError(err, "NotFound")) {
    if (subject.image !== undefined) return "no such image";
    if (subject.container !== undefined) return `No such container: ${subject.container}`;
  }
  if (isDockhandError(err, "AlreadyExists") && subject.container !== undefined) return "container already exists";
  if (isDockhandError(err, "Unavailable")) return `cannot connect to Docker endpoint: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Runs `work`, rethrowing any failure as the RpcMethodError the envelope reports. */
export async function asMethodError<T>(subject: ErrorSubject, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RpcMethodError || err instanceof RpcTransportError) throw err;
    throw new RpcMethodError(mistifyErrorText(err, subject), { cause: err });
  }
}

/** Runs one of the ContainerAgent's input checks; what it refuses is the method's error text. */
export function checkedInput<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new RpcMethodError((err as Error).message, { cause: err });
  }
}
