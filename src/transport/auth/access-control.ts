import crypto, { createHash, timingSafeEqual } from "node:crypto";
import { type Credentials, readCredentialsFile } from "./credentials-file.js";
import { execProcedures, roleFor } from "./procedure-roles.js";
import { roleCovers, type Role } from "./roles.js";
import { watchFiles } from "../../lib/watch-files.js";

/** Who made a call, as the access check decided. */
export interface Caller {
  /** The token's name, the certificate subject, or "anonymous" when auth is off. */
  name: string;
  role: Role;
  via: "token" | "certificate" | "none";
  /** The tokens file grants this caller exec (`exec: true`): an operator may then call the exec procedures. */
  exec?: boolean;
}

/** What a call presents: its `authorization` header and, over mTLS, its certificate subject. */
export interface Presented {
  authorization?: string | null;
  certSubject?: string;
}

export type AccessDecision =
  | { allowed: true; caller: Caller | undefined }
  | { allowed: false; reason: "unauthenticated" | "permission_denied"; message: string };

export interface AccessControl {
  /** True when tokens or mTLS are configured, so calls need credentials. */
  readonly enabled: boolean;
  /** Decides whether the caller may call `procedure` (an RPC path or a route's procedure name). */
  check(procedure: string, presented: Presented): AccessDecision;
  /** Decides whether the caller's credentials are valid at all, before the procedure is known. */
  authenticate(presented: Presented): AccessDecision;
  /** Reads the tokens file again now (also done when it changes on disk). */
  reload(): void;
  close(): void;
}

export interface AccessControlOptions {
  /** The tokens file; empty for none. */
  tokensFile: string;
  /** True when the listener asks clients for certificates (mTLS). */
  clientCertificates: boolean;
  /** Told when a changed tokens file could not be used; the previous credentials stay. */
  onReloadError?: (err: Error) => void;
  /** How often the tokens file is looked at for changes, in ms. Default 1000. */
  pollMs?: number;
}

const anonymous: Caller = Object.freeze({ name: "anonymous", role: "admin", via: "none" });
const noCredentials: Credentials = { tokens: [], certSubjects: new Map() };
const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i;

// The one-shot digest (Node 20.12 and later) makes no Hash object: about half the time of
// createHash on the hot path, where every call's token is hashed.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "buffer") => Buffer }).hash;

function sha256(text: string): Buffer {
  return oneShot ? oneShot("sha256", text, "buffer") : createHash("sha256").update(text).digest();
}

/** Each token entry's caller, made once per credentials read rather than once per call. */
const tokenCallers = new WeakMap<Credentials, readonly Caller[]>();

function callersOf(credentials: Credentials): readonly Caller[] {
  let callers = tokenCallers.get(credentials);
  if (!callers) {
    callers = credentials.tokens.map((entry) =>
      Object.freeze({ name: entry.name, role: entry.role, via: "token" as const, exec: entry.exec === true }),
    );
    tokenCallers.set(credentials, callers);
  }
  return callers;
}

function refusedIdentity(caller: "bad" | "not-bearer" | undefined): AccessDecision {
  if (caller === undefined) {
    return {
      allowed: false,
      reason: "unauthenticated",
      message: "this call needs credentials: send 'authorization: Bearer <token>' or a client certificate",
    };
  }
  if (caller === "not-bearer") {
    // The form only, never whether the token exists.
    return {
      allowed: false,
      reason: "unauthenticated",
      message: "the authorization header is not of the form 'Bearer <token>': put 'Bearer ' before the token",
    };
  }
  return { allowed: false, reason: "unauthenticated", message: "the credentials sent are not valid" };
}

/** Exec is its own right: an operator whose entry says `exec: true` may run and attach to processes. */
function execGranted(procedure: string, caller: Caller): boolean {
  return caller.exec === true && roleCovers(caller.role, "operator") && execProcedures.has(procedure);
}

/**
 * Tokens (hashed, compared in constant time) and mTLS subjects, each with a role, checked
 * against the least role of each procedure. A refusal never tells whether a token exists.
 */
export function createAccessControl(options: AccessControlOptions): AccessControl {
  const enabled = options.tokensFile !== "" || options.clientCertificates;
  let credentials = options.tokensFile ? readCredentialsFile(options.tokensFile) : noCredentials;
  const reload = () => {
    if (!options.tokensFile) return;
    try {
      credentials = readCredentialsFile(options.tokensFile);
    } catch (err) {
      options.onReloadError?.(err as Error);
    }
  };
  const stopWatching = options.tokensFile
    ? watchFiles([options.tokensFile], reload, options.pollMs ?? 1000)
    : () => undefined;

  function tokenCaller(token: string): Caller | undefined {
    const presented = sha256(token);
    const current = credentials;
    const callers = callersOf(current);
    let found: Caller | undefined;
    // Every entry is compared, so the time taken does not tell which one (if any) matched.
    for (let i = 0; i < current.tokens.length; i++) {
      if (timingSafeEqual(presented, current.tokens[i]!.sha256) && !found) found = callers[i];
    }
    return found;
  }

  function identify(presented: Presented): Caller | "bad" | "not-bearer" | undefined {
    if (presented.authorization) {
      const match = bearer.exec(presented.authorization);
      if (!match) return "not-bearer";
      return tokenCaller(match[1]) || "bad";
    }
    if (presented.certSubject !== undefined) {
      const role = credentials.certSubjects.get(presented.certSubject);
      const exec = credentials.execSubjects?.has(presented.certSubject) === true;
      return role ? { name: presented.certSubject, role, via: "certificate", exec } : "bad";
    }
    return undefined;
  }

  return {
    enabled,
    authenticate(presented) {
      if (!enabled) return { allowed: true, caller: anonymous };
      const caller = identify(presented);
      if (caller === undefined || caller === "bad" || caller === "not-bearer") return refusedIdentity(caller);
      return { allowed: true, caller };
    },
    check(procedure, presented) {
      const need = roleFor(procedure);
      if (!enabled) return { allowed: true, caller: anonymous };
      if (need === undefined) return { allowed: true, caller: undefined };
      const caller = identify(presented);
      if (caller === undefined || caller === "bad" || caller === "not-bearer") return refusedIdentity(caller);
      if (!roleCovers(caller.role, need) && !execGranted(procedure, caller)) {
        const orExec = execProcedures.has(procedure) ? " (or operator with exec: true in the tokens file)" : "";
        return {
          allowed: false,
          reason: "permission_denied",
          message: `${procedure} needs the ${need} role${orExec}; caller "${caller.name}" has ${caller.role}`,
        };
      }
      return { allowed: true, caller };
    },
    reload,
    close: stopWatching,
  };
}
