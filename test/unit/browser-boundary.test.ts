import { describe, expect, it } from "vitest";
import { createBrowserBoundary } from "../../src/transport/browser-boundary.js";
import { isLoopback, isLoopbackIp } from "../../src/lib/loopback-address.js";

describe("browser boundary", () => {
  const boundary = createBrowserBoundary({
    checkHost: true,
    bind: "127.0.0.1",
    allowedHosts: ["dock.example", "proxy.example:8443"],
    corsOrigins: ["https://dash.example"],
    tls: false,
  });

  it("admits dockhand's loopback names on any port (a published port shows another number), listed names, and requests with no Host", () => {
    for (const host of [
      "127.0.0.1:7051",
      "localhost:7051",
      "[::1]:7051",
      "LocalHost:7051",
      "127.0.0.1",
      "localhost:8080",
      "dock.example",
      "dock.example:1",
      "proxy.example:8443",
      undefined,
    ]) {
      expect(boundary.refusal({ host }), String(host)).toBeUndefined();
    }
    expect(boundary.refusal({ ":authority": "localhost:7051" })).toBeUndefined();
  });

  it("refuses other names, and a listed name on another port than listed, naming --allowed-hosts", () => {
    for (const host of [
      "attacker.test:7051",
      "proxy.example:8444",
      "proxy.example",
      "127.0.0.2:7051",
      "localhost.:7051",
      "x:y",
      "",
    ]) {
      expect(boundary.refusal({ host }), host).toContain("--allowed-hosts");
    }
    expect(boundary.refusal({ ":authority": "attacker.test:7051", host: "localhost:7051" })).toContain(
      "--allowed-hosts",
    );
  });

  it("admits dockhand's own origin and the listed ones; refuses others and null, naming --cors-origins", () => {
    expect(boundary.refusal({ host: "localhost:7051", origin: "http://localhost:7051" })).toBeUndefined();
    expect(boundary.refusal({ host: "localhost:7051", origin: "https://dash.example" })).toBeUndefined();
    for (const origin of ["http://127.0.0.1:7051", "https://localhost:7051", "http://evil.test", "null"]) {
      expect(boundary.refusal({ host: "localhost:7051", origin }), origin).toContain("--cors-origins");
    }
  });

  it("off loopback with credentials, checks only the Origin; a wildcard bind adds no name", () => {
    const open = createBrowserBoundary({
      checkHost: false,
      bind: "0.0.0.0",
      allowedHosts: [],
      corsOrigins: [],
      tls: true,
    });
    expect(open.refusal({ host: "dockhand.corp" })).toBeUndefined();
    expect(open.refusal({ host: "dockhand.corp", origin: "https://dockhand.corp" })).toBeUndefined();
    expect(open.refusal({ host: "dockhand.corp", origin: "https://evil.test" })).toContain("--cors-origins");
    const wildcard = createBrowserBoundary({
      checkHost: true,
      bind: "0.0.0.0",
      allowedHosts: [],
      corsOrigins: [],
      tls: false,
    });
    expect(wildcard.refusal({ host: "0.0.0.0" })).toContain("--allowed-hosts");
    expect(wildcard.refusal({ host: "localhost" })).toBeUndefined();
  });

  it("quotes a refused value bounded and printable", () => {
    const reason = boundary.refusal({ host: `${"x".repeat(500)}\u0007` })!;
    expect(reason.length).toBeLessThan(250);
    expect(reason).not.toContain("\u0007");
  });
});

describe("loopback addresses", () => {
  it("tells loopback IPs by their value, not their text", () => {
    for (const ip of ["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::0001", "::ffff:127.0.0.1", "[::1]"])
      expect(isLoopbackIp(ip), ip).toBe(true);
    for (const ip of ["0.0.0.0", "10.0.0.1", "::", "::2", "::ffff:10.0.0.1", "127.example.com", "1270.0.0.1"])
      expect(isLoopbackIp(ip), ip).toBe(false);
  });

  it("resolves a name and judges every address it has", async () => {
    expect(await isLoopback("127.0.0.1")).toBe(true);
    expect(await isLoopback("localhost")).toBe(true);
    expect(await isLoopback("0.0.0.0")).toBe(false);
  });
});
