import { Code, ConnectError } from "@connectrpc/connect";
import { createStore } from "./store.js";

/** An error as the page shows it: the code's name and the server's own message. */
export interface ShownError {
  id: number;
  code: string;
  message: string;
}

/** Errors not shown next to a field of their own, newest last; the page lists them. */
export const shownErrors = createStore<readonly ShownError[]>([]);

/** True when a call was refused for missing or bad credentials: the sign-in form shows. */
export const signInNeeded = createStore(false);

/** Procedures refused with PERMISSION_DENIED, with the server's message naming the role needed. */
export const deniedProcedures = createStore<ReadonlyMap<string, string>>(new Map());

/** Why streams cannot get through (the last failure), while they retry; a banner shows it. */
export const connectionLost = createStore<ShownError | undefined>(undefined);

let nextId = 1;

/** `PermissionDenied`, `InvalidArgument`...: the code as the page names it. */
export function codeName(code: Code): string {
  const name = Code[code] ?? "Unknown";
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function describe(err: unknown): { code: string; message: string } {
  const connectError = ConnectError.from(err);
  return { code: codeName(connectError.code), message: connectError.rawMessage };
}

/**
 * Takes a failed call's error where the page can see it. UNAUTHENTICATED sends the user to the
 * sign-in form; PERMISSION_DENIED also disables what needs the role it names.
 */
export function report(err: unknown, procedure?: string): void {
  const connectError = ConnectError.from(err);
  if (connectError.code === Code.Canceled) return;
  // The sign-in form says it for every call the page made at once: no banner of its own.
  if (connectError.code === Code.Unauthenticated) return signInNeeded.set(true);
  if (connectError.code === Code.PermissionDenied && procedure) {
    deniedProcedures.set(new Map([...deniedProcedures.get(), [procedure, connectError.rawMessage]]));
  }
  const shown = { id: nextId++, ...describe(connectError) };
  // The same error again (several calls refused alike) moves to the end instead of repeating.
  const others = shownErrors.get().filter((e) => e.code !== shown.code || e.message !== shown.message);
  shownErrors.set([...others.slice(-4), shown]);
}

export function dismiss(id: number): void {
  shownErrors.set(shownErrors.get().filter((e) => e.id !== id));
}
