import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Code } from "@connectrpc/connect";
import { OutputStream } from "../../gen/dockhand/v1/agent_streams_pb.js";
import {
  AttachRequestSchema,
  AttachResponseSchema,
  ExecSessionRequestSchema,
  ExecSessionResponseSchema,
  type AttachResponse,
  type ExecSessionResponse,
} from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { useContainerFixture } from "../support/container-fixture.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";
import { makeTokens, writeTokensFile } from "../support/tokens-file.js";
import { openWebSocket, type WebSocketSession } from "../support/websocket-client.js";
import { run } from "../support/run.js";
import { until } from "../support/until.js";

const execPath = "/dockhand.v1.ContainerAgent/ExecSession";
const attachPath = "/dockhand.v1.ContainerAgent/Attach";

function text(seen: Array<ExecSessionResponse | AttachResponse>, stream = OutputStream.STDOUT): string {
  return seen
    .flatMap((m) => (m.item.case === "output" && m.item.value.stream === stream ? [m.item.value.data] : []))
    .map((d) => Buffer.from(d).toString())
    .join("");
}

const stdin = (s: string) => ({ item: { case: "stdin" as const, value: Buffer.from(s) } });

async function openExec(url: string, options: Parameters<typeof openWebSocket>[3] = {}) {
  const opened = await openWebSocket(url + execPath, ExecSessionRequestSchema, ExecSessionResponseSchema, options);
  if (opened.refused) throw new Error(`refused: ${opened.refused.status} ${opened.refused.body}`);
  return opened.session;
}

/** Execs started in a container so far: a refused upgrade must start none. */
async function execCount(fx: ReturnType<typeof useContainerFixture>, id: string): Promise<number> {
  const info = await fx.engine.docker.getContainer(id).inspect();
  return (info.ExecIDs ?? []).length;
}

describe("ExecSession and Attach over a WebSocket", () => {
  const fx = useContainerFixture("ws-session");
  let running: string;

  beforeAll(async () => {
    running = (await fx.run()).id;
  });

  it("runs a shell with a terminal: typed lines, resize seen by stty size, the exit code last, then close 1000", async () => {
    const session = await openExec(fx.server.url);
    session.send({
      item: {
        case: "open",
        value: { id: running, command: ["sh"], tty: true, stdin: true, terminalSize: { rows: 30, columns: 90 } },
      },
    });
    session.send(stdin("echo hello-$((6*7))\n"));
    await session.until((s) => text(s).includes("hello-42"), "hello-42");
    expect(session.seen[0]?.item).toEqual({ case: "started", value: expect.objectContaining({ tty: true }) });
    session.send(stdin("stty size\n"));
    await session.until((s) => text(s).includes("30 90"), "the size given at open");
    session.send({ item: { case: "resize", value: { rows: 33, columns: 101 } } });
    session.send(stdin("stty size\n"));
    await session.until((s) => text(s).includes("33 101"), "the size after resize");
    session.send(stdin("exit 5\n"));
    expect(await session.closed).toEqual({ code: 1000, reason: "" });
    const last = session.seen.at(-1) as ExecSessionResponse;
    expect(last.item.case === "result" && last.item.value.exitCode).toBe(5);
  });

  it("runs a command without a terminal: stdout and stderr apart, EOF from close_stdin, its exit code", async () => {
    const session = await openExec(fx.server.url);
    session.send({
      item: { case: "open", value: { id: running, command: ["sh", "-c", "cat; echo oops >&2; exit 3"], stdin: true } },
    });
    session.send(stdin("line one\n"));
    await session.until((s) => text(s).includes("line one"), "the echoed line");
    session.send({ item: { case: "closeStdin", value: {} } });
    expect((await session.closed).code).toBe(1000);
    expect(text(session.seen, OutputStream.STDERR)).toBe("oops\n");
    const last = session.seen.at(-1) as ExecSessionResponse;
    expect(last.item.case === "result" && last.item.value.exitCode).toBe(3);
  });

  it("attaches to the main process and detaches, leaving it running", async () => {
    const ticking = (await fx.run({ command: ["sh", "-c", "while true; do echo tick; sleep 0.1; done"] })).id;
    const opened = await openWebSocket(fx.server.url + attachPath, AttachRequestSchema, AttachResponseSchema);
    if (opened.refused) throw new Error(opened.refused.body);
    const session: WebSocketSession<typeof AttachResponseSchema> = opened.session;
    session.send({ item: { case: "open", value: { id: ticking } } });
    await session.until((s) => text(s).includes("tick"), "the process's output");
    session.send({ item: { case: "detach", value: {} } });
    expect((await session.closed).code).toBe(1000);
    const last = session.seen.at(-1);
    expect(last?.item.case === "ended" && last.item.value.reason.case).toBe("detached");
    expect((await fx.engine.docker.getContainer(ticking).inspect()).State.Running).toBe(true);
  });

  it("closes with 4000 + the gRPC code and the message as reason when the call fails", async () => {
    const session = await openExec(fx.server.url);
    session.send({ item: { case: "open", value: { id: `missing-${process.pid}`, command: ["true"] } } });
    const closed = await session.closed;
    expect(closed.code).toBe(4000 + Code.NotFound);
    expect(closed.reason).toContain(`missing-${process.pid}`);

    const bad = await openExec(fx.server.url);
    bad.send({ item: { case: "resize", value: { rows: 10, columns: 10 } } });
    expect((await bad.closed).code).toBe(4000 + Code.InvalidArgument);

    const garbage = await openExec(fx.server.url);
    garbage.ws.send("not a protobuf frame");
    expect(await garbage.closed).toEqual({
      code: 4000 + Code.InvalidArgument,
      reason: expect.stringContaining("binary"),
    });
  });

  it("refuses before the upgrade: a foreign origin (403), no subprotocol (400), another path (404), and opens nothing", async () => {
    const before = await execCount(fx, running);
    const foreign = await openWebSocket(fx.server.url + execPath, ExecSessionRequestSchema, ExecSessionResponseSchema, {
      headers: { origin: "http://evil.example" },
    });
    expect(foreign.refused?.status).toBe(403);
    expect(foreign.refused?.body).toContain("--cors-origins");
    const rebinding = await openWebSocket(
      fx.server.url.replace("127.0.0.1", "rebind.example") + execPath,
      ExecSessionRequestSchema,
      ExecSessionResponseSchema,
      { headers: { host: "rebind.example" } },
    ).catch(() => undefined);
    expect(rebinding === undefined || rebinding.refused?.status === 403).toBe(true);
    const bare = await openWebSocket(fx.server.url + execPath, ExecSessionRequestSchema, ExecSessionResponseSchema, {
      protocols: [],
    });
    expect(bare.refused?.status).toBe(400);
    const elsewhere = await openWebSocket(
      fx.server.url + "/dockhand.v1.ContainerAgent/Exec",
      ExecSessionRequestSchema,
      ExecSessionResponseSchema,
    );
    expect(elsewhere.refused?.status).toBe(404);
    const own = await openExec(fx.server.url, { headers: { origin: fx.server.url } });
    own.ws.close();
    expect(await execCount(fx, running)).toBe(before);
  });

  it("leaves other upgrades alone: curl's h2c offer on a POST is served as a plain request", async () => {
    const result = await run("curl", [
      "-sS",
      "--http2",
      "-H",
      "content-type: application/json",
      "-d",
      "{}",
      `${fx.server.url}/dockhand.v1.ContainerAgent/ListContainers`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty("containers");
  });

  it("holds the command back while the socket's client does not read, then delivers everything", async () => {
    const total = 64 * 1024 * 1024;
    const session = await openExec(fx.server.url);
    session.send({
      item: { case: "open", value: { id: running, command: ["head", "-c", String(total), "/dev/zero"] } },
    });
    await session.until((s) => s.length > 0, "started");
    // The client stops reading its socket: the command can only write what the buffers on the way hold.
    session.ws.pause();
    const written = async () => {
      let out = "";
      for await (const m of fx.agent.exec({ id: running, command: ["sh", "-c", "cat /proc/$(pidof head)/io"] }))
        if (m.item.case === "output") out += Buffer.from(m.item.value.data).toString();
      return Number(/wchar: (\d+)/.exec(out)?.[1] ?? NaN);
    };
    let last = -1;
    let steady = 0;
    await until(async () => {
      const now = await written();
      steady = now === last ? steady + 1 : 0;
      last = now;
      return steady >= 5;
    });
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(total / 4);
    console.log(
      `websocket: ${(last / 1024 / 1024).toFixed(1)} MiB written of ${total / 1024 / 1024} while the client read nothing`,
    );
    session.ws.resume();
    expect((await session.closed).code).toBe(1000);
    const received = session.seen.reduce(
      (sum, m) => sum + (m.item.case === "output" ? m.item.value.data.length : 0),
      0,
    );
    expect(received).toBe(total);
    const final = session.seen.at(-1) as ExecSessionResponse;
    expect(final.item.case === "result" && final.item.value.exitCode).toBe(0);
  });

  it("ends a session idle past its limit with 4004, its command stopped", async () => {
    const strict = await startTestServer(fx.engine, { websocketIdleTimeoutMs: 1000 });
    try {
      const session = await openExec(strict.url);
      session.send({ item: { case: "open", value: { id: running, command: ["sh"], stdin: true } } });
      const closed = await session.closed;
      expect(closed.code).toBe(4000 + Code.DeadlineExceeded);
      expect(closed.reason).toContain("idle");
    } finally {
      await strict.close();
      removeDataDir(strict.dataDir);
    }
  });

  describe("with tokens", () => {
    const tokens = makeTokens();
    const lines: string[] = [];
    let secured: TestServer;

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), "dockhand-ws-tokens-"));
      const file = join(dir, "tokens.yaml");
      writeTokensFile(file, [tokens.viewer, tokens.operator, tokens.admin]);
      const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
      secured = await startTestServer(fx.engine, { authTokensFile: file, logLevel: "info" }, logger);
    });
    afterAll(async () => {
      await secured?.close();
      if (secured) removeDataDir(secured.dataDir);
    });

    const bearer = (token: string) => `dockhand.bearer.${Buffer.from(token).toString("base64url")}`;

    it("no credential: 401; a viewer's or an operator's without exec: 403; neither opens a session", async () => {
      const before = await execCount(fx, running);
      const none = await openWebSocket(secured.url + execPath, ExecSessionRequestSchema, ExecSessionResponseSchema);
      expect(none.refused?.status).toBe(401);
      for (const who of [tokens.viewer, tokens.operator]) {
        const refused = await openWebSocket(
          secured.url + execPath,
          ExecSessionRequestSchema,
          ExecSessionResponseSchema,
          {
            protocols: ["dockhand.v1", bearer(who.token)],
          },
        );
        expect(refused.refused?.status, who.role).toBe(403);
      }
      const wrong = await openWebSocket(secured.url + execPath, ExecSessionRequestSchema, ExecSessionResponseSchema, {
        protocols: ["dockhand.v1", bearer("not-a-token")],
      });
      expect(wrong.refused?.status).toBe(401);
      expect(await execCount(fx, running)).toBe(before);
      expect(lines.filter((l) => l.includes('"audit":true') && l.includes(execPath)).length).toBeGreaterThanOrEqual(3);
    });

    it("an admin's token in the subprotocol (or the authorization header) opens a session, audited as the RPC is", async () => {
      lines.length = 0;
      const session = await openExec(secured.url, { protocols: ["dockhand.v1", bearer(tokens.admin.token)] });
      expect(session.ws.protocol).toBe("dockhand.v1");
      session.send({ item: { case: "open", value: { id: running, command: ["sh", "-c", "echo via-socket"] } } });
      expect((await session.closed).code).toBe(1000);
      expect(text(session.seen)).toBe("via-socket\n");
      const audit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ procedure: execPath, caller: tokens.admin.name, session: "open" }),
          expect.objectContaining({ procedure: execPath, caller: tokens.admin.name, session: "close", exitCode: 0 }),
          expect.objectContaining({ procedure: execPath, caller: tokens.admin.name, outcome: "OK" }),
        ]),
      );
      expect(lines.join("\n")).not.toContain(tokens.admin.token);

      const byHeader = await openExec(secured.url, { headers: { authorization: `Bearer ${tokens.admin.token}` } });
      byHeader.send({ item: { case: "open", value: { id: running, command: ["true"] } } });
      expect((await byHeader.closed).code).toBe(1000);
    });
  });
});
