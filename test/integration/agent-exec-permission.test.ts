import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSessionRequestSchema } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { Session } from "../../gen/dockhand/v1/session_pb.js";
import { readResponses, requestQueue } from "../support/bidi-session.js";
import { expectCode } from "../support/container-fixture.js";
import { requireEngine, testImage } from "../support/engine.js";
import { startLoggedServer, type LoggedServer } from "../support/secure-server.js";
import { makeTokens, writeTokensFile, type TestToken } from "../support/tokens-file.js";

type Request = MessageInitShape<typeof ExecSessionRequestSchema>;

/** Exec is its own right: an operator has it only when the tokens file grants it; an admin has it. */
describe("the exec right", () => {
  const work = mkdtempSync(join(tmpdir(), "dockhand-execright-"));
  const tokens = makeTokens();
  const execOperator: TestToken = {
    name: "test-operator-exec",
    role: "operator",
    token: `${tokens.operator.token}-x`,
    exec: true,
  };
  const name = `t-execright-${process.pid}`;
  let server: LoggedServer;
  let id: string;

  const agentAs = (token: TestToken): Client<typeof ContainerAgent> =>
    createClient(
      ContainerAgent,
      createGrpcTransport({
        baseUrl: server.url,
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token.token}`), next(req))],
      }),
    );

  /** An ExecSession of `sh -c script` with `input` on its stdin: its stdout and exit code. */
  async function session(agent: Client<typeof ContainerAgent>, script: string, input = "") {
    const requests = requestQueue<Request>();
    requests.push({ item: { case: "open", value: { id, command: ["sh", "-c", script], stdin: true } } });
    if (input) requests.push({ item: { case: "stdin", value: Buffer.from(input) } });
    requests.end();
    const seen = await readResponses(agent.execSession(requests)).rest();
    const out = seen.flatMap((m) => (m.item.case === "output" ? [Buffer.from(m.item.value.data).toString()] : []));
    const last = seen.at(-1)?.item;
    return { stdout: out.join(""), exitCode: last?.case === "result" ? last.value.exitCode : undefined };
  }

  beforeAll(async () => {
    const file = join(work, "tokens.yaml");
    writeTokensFile(file, [tokens.viewer, tokens.operator, tokens.admin, execOperator]);
    server = await startLoggedServer({ authTokensFile: file });
    const engine = await requireEngine();
    const container = await engine.docker.createContainer({
      name,
      Image: testImage,
      Cmd: ["sleep", "3600"],
      HostConfig: { Init: true },
    });
    await container.start();
    id = container.id;
  });
  afterAll(async () => {
    const engine = await requireEngine();
    await engine.docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("refuses an operator without it ExecSession, Attach and the copies in, with PERMISSION_DENIED", async () => {
    const agent = agentAs(tokens.operator);
    const open = requestQueue<Request>();
    open.push({ item: { case: "open", value: { id, command: ["true"] } } });
    await expectCode(readResponses(agent.execSession(open)).rest(), Code.PermissionDenied, "exec: true");
    await expectCode(
      readResponses(
        agent.attach(
          (async function* () {
            yield { item: { case: "open" as const, value: { id } } };
          })(),
        ),
      ).rest(),
      Code.PermissionDenied,
    );
    await expectCode(
      agent.copyToContainer({ id, path: "/x.txt", content: { case: "file", value: Buffer.from("x") } }),
      Code.PermissionDenied,
    );
    await expectCode(
      agent.copyToContainerStream(
        (async function* () {
          yield { item: { case: "chunk" as const, value: Buffer.from("x") } };
        })(),
      ),
      Code.PermissionDenied,
    );
    await expectCode(readResponses(agentAs(tokens.viewer).execSession(open)).rest(), Code.PermissionDenied);
    const read = await agent.copyFromContainerUnary({ id, path: "/bin/busybox" });
    expect(read.stat).toMatchObject({ name: "busybox" });
  });

  it("lets an operator granted exec and an admin open sessions and copy in; the old Exec stays admin's", async () => {
    for (const token of [execOperator, tokens.admin]) {
      const agent = agentAs(token);
      expect(await session(agent, "cat; exit 3", `as-${token.name}`)).toEqual({
        stdout: `as-${token.name}`,
        exitCode: 3,
      });
      await agent.copyToContainer({
        id,
        path: `/copied-${token.name}`,
        content: { case: "file", value: Buffer.from("ok") },
      });
    }
    await expectCode(
      (async () => {
        for await (const _ of agentAs(execOperator).exec({ id, command: ["true"] }));
      })(),
      Code.PermissionDenied,
    );
  });

  it("tells each caller through WhoAmI whether it holds the exec right", async () => {
    const holds = async (token: TestToken) =>
      (
        await createClient(
          Session,
          createGrpcTransport({
            baseUrl: server.url,
            interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token.token}`), next(req))],
          }),
        ).whoAmI({})
      ).exec;
    expect(await holds(tokens.viewer)).toBe(false);
    expect(await holds(tokens.operator)).toBe(false);
    expect(await holds(execOperator)).toBe(true);
    expect(await holds(tokens.admin)).toBe(true);
  });

  it("writes one audit line when a session opens and one when it closes, never what it carried", async () => {
    const secret = `typed-secret-${Date.now()}`;
    await session(agentAs(execOperator), "cat >/dev/null; echo printed-$((40+2)); exit 5", secret);
    const lines = server.lines.filter(
      (l) => l.audit === true && l.session !== undefined && l.caller === execOperator.name,
    );
    const open = lines.find((l) => l.session === "open" && JSON.stringify(l.command).includes("printed"));
    const close = lines.find((l) => l.session === "close" && JSON.stringify(l.command).includes("printed"));
    expect(open).toMatchObject({
      caller: "test-operator-exec",
      role: "operator",
      procedure: "/dockhand.v1.ContainerAgent/ExecSession",
      container: id,
      command: ["sh", "-c", "cat >/dev/null; echo printed-$((40+2)); exit 5"],
      tty: false,
    });
    expect(close).toMatchObject({
      container: id,
      tty: false,
      exitCode: 5,
      outcome: "ok",
      durationMs: expect.any(Number),
    });
    expect(server.text()).not.toContain(secret);
    expect(server.text()).not.toContain("printed-42");
  });
});
