/** The subprotocol a WebSocket client offers, and the server picks, for dockhand's framing. */
export const websocketProtocol = "dockhand.v1";

/** A subprotocol that carries a bearer token: this prefix, then the token in base64url. */
export const bearerProtocolPrefix = "dockhand.bearer.";

/**
 * The `authorization` value a WebSocket upgrade carries: its own header (a client that can set
 * one), else a `dockhand.bearer.<base64url token>` subprotocol (a browser, which cannot set
 * headers on a WebSocket and must not put a token in the URL, where logs and history keep it).
 */
export function websocketAuthorization(
  header: string | undefined,
  offered: ReadonlySet<string> | readonly string[],
): string | undefined {
  if (header !== undefined) return header;
  for (const protocol of offered) {
    if (!protocol.startsWith(bearerProtocolPrefix)) continue;
    const token = Buffer.from(protocol.slice(bearerProtocolPrefix.length), "base64url").toString("utf8");
    if (token !== "") return `Bearer ${token}`;
  }
  return undefined;
}

/** The subprotocols a `sec-websocket-protocol` header offers, in order. */
export function offeredProtocols(header: string | undefined): string[] {
  return (header ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}
