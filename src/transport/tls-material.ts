import { readFileSync } from "node:fs";
import tls from "node:tls";

export interface TlsFiles {
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** PEM CA bundle that signs client certificates; empty for no mTLS. */
  clientCa: string;
}

/** A TLS file that cannot be used; the message names it. */
export class TlsMaterialError extends Error {
  override readonly name = "TlsMaterialError";
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsMaterialError(`${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Reads the certificate, key and client CA, and checks that they make a context (a key that
 * does not match its certificate fails here, not at a client's handshake).
 */
export function readTlsMaterial(files: TlsFiles): tls.SecureContextOptions {
  const context: tls.SecureContextOptions = { cert: read(files.cert, "--tls-cert"), key: read(files.key, "--tls-key") };
  if (files.clientCa) context.ca = read(files.clientCa, "--tls-client-ca");
  try {
    tls.createSecureContext(context);
  } catch (err) {
    throw new TlsMaterialError(`--tls-cert ${files.cert} and --tls-key ${files.key}: ${(err as Error).message}`);
  }
  return context;
}
