import { describe, expect, it } from "vitest";
import { offeredProtocols, websocketAuthorization } from "../../src/transport/websocket-credentials.js";
import { closeCodeOf, closeReason } from "../../src/transport/websocket-session.js";
import { Code } from "@connectrpc/connect";

const bearer = (token: string) => `dockhand.bearer.${Buffer.from(token).toString("base64url")}`;

describe("WebSocket credentials", () => {
  it("reads the subprotocols offered, in order, whatever the spacing", () => {
    expect(offeredProtocols(" dockhand.v1 ,dockhand.bearer.eA,, x ")).toEqual([
      "dockhand.v1",
      "dockhand.bearer.eA",
      "x",
    ]);
    expect(offeredProtocols(undefined)).toEqual([]);
  });

  it("takes the token from a dockhand.bearer subprotocol in base64url, any bytes a token may hold", () => {
    const token = "a+b/c=d_é~";
    expect(websocketAuthorization(undefined, ["dockhand.v1", bearer(token)])).toBe(`Bearer ${token}`);
  });

  it("prefers the authorization header, and finds none in other subprotocols or an empty token", () => {
    expect(websocketAuthorization("Bearer h", [bearer("p")])).toBe("Bearer h");
    expect(websocketAuthorization(undefined, ["dockhand.v1", "dockhand.bearer."])).toBeUndefined();
    expect(websocketAuthorization(undefined, new Set(["dockhand.v1"]))).toBeUndefined();
  });
});

describe("WebSocket close frames", () => {
  it("carry the gRPC code as 4000 + code", () => {
    expect(closeCodeOf(Code.InvalidArgument)).toBe(4003);
    expect(closeCodeOf(Code.Unauthenticated)).toBe(4016);
  });

  it("cut the reason to the 123 bytes of UTF-8 a close frame holds, on a character", () => {
    const reason = closeReason("é".repeat(200));
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason.endsWith("…")).toBe(true);
    expect(reason).not.toContain("\ufffd");
    expect(closeReason("short")).toBe("short");
  });
});
