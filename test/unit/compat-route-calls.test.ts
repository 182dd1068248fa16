import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouteCalls, type RunCall } from "../../src/compat/route-calls.js";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { createAccessControl } from "../../src/transport/auth/access-control.js";
import { currentRequest } from "../../src/transport/request-context.js";

describe("compat route calls", () => {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-route-calls-"));
  const lines: Array<Record<string, unknown>> = [];
  const recorded: Array<[string, string]> = [];
  let server: http.Server;
  let base = "";
  let runCall: RunCall;
  let handle: (
    call: Parameters<Parameters<RunCall>[4]>[0],
    res: http.ServerResponse,
  ) => Promise<Code | undefined> = async () => undefined;

  beforeAll(async () => {
    const tokensFile = join(dir, "tokens.yml");
    writeFileSync(
      tokensFile,
      `tokens:\n  - name: v\n    role: viewer\n    sha256: ${createHash("sha256").update("viewer-token").digest("hex")}\n`,
    );
    const logger = pino(
      { level: "info" },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    runCall = createRouteCalls({
      access: createAccessControl({ tokensFile, clientCertificates: false, pollMs: 60_000 }),
      logger,
      metrics: { recordRpc: (procedure, code) => recorded.push([procedure, code]) },
    });
    server = http.createServer((req, res) => {
      const procedure = req.url === "/scale" ? "genisys/Scale" : "genisys/Status";
      runCall(
        req,
        res,
        procedure,
        (r, refusal) => r.writeHead(refusal.status).end(refusal.message),
        (call) => handle(call, res),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("checks the procedure's role, and logs and counts each call with its request id and code", async () => {
    handle = async (call, res) => {
      expect(currentRequest()?.requestId).toBe(call.requestId);
      res.end("ok");
      return undefined;
    };
    const ok = await fetch(`${base}/status`, {
      headers: { authorization: "Bearer viewer-token", "x-request-id": "req-1" },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${base}/status`)).status).toBe(401);
    const denied = await fetch(`${base}/scale`, { headers: { authorization: "Bearer viewer-token" } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toContain("operator");
    expect(recorded).toEqual([
      ["genisys/Status", "OK"],
      ["genisys/Status", "Unauthenticated"],
      ["genisys/Scale", "PermissionDenied"],
    ]);
    expect(lines[0]).toMatchObject({ msg: "rpc", procedure: "genisys/Status", requestId: "req-1", code: "OK" });
    // Calls that can change something are audited as the RPCs are; a viewer's query is not.
    expect(lines.filter((l) => l.msg === "audit")).toEqual([
      expect.objectContaining({
        audit: true,
        caller: "unknown",
        role: "none",
        procedure: "genisys/Scale",
        outcome: "PermissionDenied",
      }),
    ]);
    expect(lines[0].durationMs).toEqual(expect.any(Number));
  });

  it("answers a handler's escaped error instead of an empty 500", async () => {
    recorded.length = 0;
    handle = async () => {
      throw new DockhandError("Unavailable", "the engine is away");
    };
    const res = await fetch(`${base}/status`, { headers: { authorization: "Bearer viewer-token" } });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("the engine is away");
    expect(recorded).toEqual([["genisys/Status", Code[Code.Unavailable]]]);
  });
});
