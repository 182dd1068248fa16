import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startContainerFixture, type ContainerFixture } from "../support/container-fixture.js";
import { bufBin, debianPython, run } from "../support/run.js";
import { until } from "../support/until.js";

/** ExecSession, a bidirectional stream, driven from Python grpcio by examples/python/exec_session.py. */
describe("Python grpcio: ContainerAgent.ExecSession", () => {
  let fx: ContainerFixture;
  let id: string;
  const work = mkdtempSync(join(tmpdir(), "dockhand-pyexec-"));
  const descriptors = join(work, "dockhand.binpb");

  beforeAll(async () => {
    fx = await startContainerFixture("pyexec");
    expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
    id = (await fx.run()).id;
  });
  afterAll(async () => {
    await fx?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Starts the example on `argv`; its output so far, and its exit code once it ends. */
  function session(...argv: string[]) {
    const child = spawn(debianPython, [
      "examples/python/exec_session.py",
      "--target",
      fx.server.url.replace("http://", ""),
      "--descriptors",
      descriptors,
      ...argv,
    ]);
    const state = { stdout: "", stderr: "", code: undefined as number | undefined };
    child.stdout.on("data", (chunk: Buffer) => (state.stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (state.stderr += chunk.toString()));
    const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve((state.code = code ?? -1))));
    return { child, state, exited };
  }

  // A terminal hands the shell one line per read, as typed; through a pipe the shell would read
  // both lines at once into its own buffer and `read` would wait for a third.
  it("sends `read x; echo got-$x`, then a line, and reads got-<line> back while the shell runs on", async () => {
    const { child, state, exited } = session("--tty", id, "--", "sh");
    child.stdin.write("read x; echo got-$x\n");
    child.stdin.write("hello-from-python\n");
    await until(() => state.stdout.includes("got-hello-from-python\r\n"));
    expect(state.code).toBeUndefined();
    child.stdin.write("exit 4\n");
    expect(await exited).toBe(4);
  });

  it("keeps stdout and stderr apart without a terminal, and passes the exit code on", async () => {
    const { child, state, exited } = session(id, "--", "sh");
    child.stdin.end("echo out-line; echo err-line >&2; exit 5\n");
    expect(await exited).toBe(5);
    expect(state.stdout).toBe("out-line\n");
    expect(state.stderr).toBe("err-line\n");
  });

  it("closes the command's stdin at its own end of file, so cat ends", async () => {
    const { child, state, exited } = session(id, "--", "cat");
    child.stdin.end("all of it\n");
    expect(await exited).toBe(0);
    expect(state.stdout).toBe("all of it\n");
  });

  it("gives the command a terminal with --tty", async () => {
    const { child, state, exited } = session("--tty", id, "--", "sh", "-c", "test -t 0 && echo has-a-tty; cat");
    await until(() => state.stdout.includes("has-a-tty"));
    child.stdin.end("typed\n");
    expect(await exited).toBe(0);
    expect(state.stdout).toBe("has-a-tty\r\ntyped\r\ntyped\r\n");
  });

  it("prints the refusal for a container that is not running", async () => {
    const stopped = await fx.create();
    const { child, state, exited } = session(stopped.id, "--", "sh");
    child.stdin.end();
    expect(await exited).toBe(1);
    expect(state.stderr).toMatch(/^FAILED_PRECONDITION: .*not running/);
  });
});
