import { createContextKey } from "@connectrpc/connect";

/** Who made a call: a token's name, a certificate subject, or "anonymous" when auth is off. */
export interface CallerIdentity {
  name: string;
  role: "viewer" | "operator" | "admin";
  /** The tokens file grants this caller exec (`exec: true` on its entry). */
  exec?: boolean;
}

/** Set by the transport's access check for each call it admits; unset for open procedures. */
export const callerKey = createContextKey<CallerIdentity | undefined>(undefined, {
  description: "the caller the access check admitted",
});
