import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecSessionRequestSchema, ExecSessionResponseSchema } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { useContainerFixture } from "../support/container-fixture.js";
import { startLoggedServer, type LoggedServer } from "../support/secure-server.js";
import { createTestPki, type TestPki } from "../support/test-pki.js";
import { makeTokens, writeTokensFile } from "../support/tokens-file.js";
import { openWebSocket } from "../support/websocket-client.js";
import { testImage } from "../support/engine.js";
import { docker, dockerQuietly, run } from "../support/run.js";
import { until } from "../support/until.js";

/** The `dockhand` command as a user runs it: node on src/main.ts, the client subcommands. */
const dockhand = `${process.execPath} --import tsx src/main.ts`;

/** Runs a shell command line with the client's environment pointed at the test server. */
function sh(line: string, url: string, env: NodeJS.ProcessEnv = {}) {
  return run("sh", ["-c", line], { env: { DOCKHAND_URL: url, ...env } });
}

/** Text without the terminal's carriage returns. */
const lines = (text: string) => text.replace(/\r/g, "");

describe("the dockhand client: exec, attach, cp", () => {
  const fx = useContainerFixture("cli");
  let container: string;
  let work: string;

  beforeAll(async () => {
    container = fx.name("box");
    await fx.run({ name: container });
    work = mkdtempSync(join(tmpdir(), "dockhand-cli-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("exec -i: a shell fed by a pipe prints, and the client exits with the shell's code", async () => {
    const result = await sh(`printf 'echo hi\\nexit 3\\n' | ${dockhand} exec -i ${container} -- sh`, fx.server.url);
    expect(result.stdout).toBe("hi\n");
    expect(result.code, result.stderr).toBe(3);
  });

  it("exec without -i: stdout and stderr apart; the command's arguments as given", async () => {
    const result = await sh(`${dockhand} exec ${container} sh -c 'echo "a  b"; echo err >&2; exit 0'`, fx.server.url);
    expect(result).toEqual({ code: 0, stdout: "a  b\n", stderr: "err\n" });
  });

  it("exec -it under a terminal: the local size, raw keys, resize (SIGWINCH), the exit code, the terminal restored", async () => {
    // `script` gives the client a pseudo-terminal; the inner shell names it and then becomes the client.
    const inner =
      `stty rows 31 cols 99; before=$(stty -g); echo "on=$(tty)"; ${dockhand} exec -it ${container} sh; ` +
      `echo "rc=$?"; [ "$(stty -g)" = "$before" ] && echo restored`;
    const child = spawn("script", ["-qec", inner, "/dev/null"], {
      env: { ...process.env, DOCKHAND_URL: fx.server.url },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += lines(c.toString())));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const type = (keys: string) => child.stdin.write(keys);
    await until(() => /on=\/dev\/pts\/\d+/.test(out));
    const pty = /on=(\/dev\/pts\/\d+)/.exec(out)![1]!;
    type("stty size; echo typed-$((2+3))\r");
    await until(() => out.includes("typed-5"));
    expect(out).toContain("31 99");
    // The pseudo-terminal resized from outside: the kernel sends the client SIGWINCH.
    expect((await run("stty", ["-F", pty, "rows", "44", "cols", "111"])).code).toBe(0);
    await until(async () => {
      type("stty size\r");
      await until(() => /\d+ \d+\n[^]*$/.test(out), 5000).catch(() => undefined);
      return out.includes("44 111");
    });
    type("exit 6\r");
    await until(() => out.includes("restored"));
    child.stdin.end();
    expect(out).toContain("rc=6");
    expect(await exited).toBe(0);
  });

  it("cp: a file and a directory in (into an existing directory, and to a new name), out again, and tar on stdout", async () => {
    const dir = join(work, "tree");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub", "a.txt"), "alpha\n");
    writeFileSync(join(work, "note.txt"), "note body\n", { mode: 0o640 });
    const url = fx.server.url;
    // The test image is busybox on scratch: no /tmp until one is made.
    expect((await sh(`${dockhand} exec ${container} mkdir /tmp`, url)).code).toBe(0);
    expect((await sh(`${dockhand} cp ${work}/note.txt ${container}:/tmp`, url)).code).toBe(0);
    expect((await sh(`${dockhand} cp ${work}/note.txt ${container}:/tmp/renamed.txt`, url)).code).toBe(0);
    expect((await sh(`${dockhand} cp ${dir} ${container}:/tmp/copied`, url)).code).toBe(0);
    const listing = await sh(
      `${dockhand} exec ${container} sh -c 'cat /tmp/note.txt /tmp/renamed.txt /tmp/copied/sub/a.txt; stat -c %a /tmp/note.txt'`,
      url,
    );
    expect(listing.stdout).toBe("note body\nnote body\nalpha\n640\n");

    const back = join(work, "back");
    expect((await sh(`${dockhand} cp ${container}:/tmp/copied ${back}`, url)).code).toBe(0);
    expect(readFileSync(join(back, "sub", "a.txt"), "utf8")).toBe("alpha\n");
    mkdirSync(join(work, "into"));
    expect((await sh(`${dockhand} cp ${container}:/tmp/note.txt ${work}/into`, url)).code).toBe(0);
    expect(readFileSync(join(work, "into", "note.txt"), "utf8")).toBe("note body\n");
    expect(statSync(join(work, "into", "note.txt")).mode & 0o777).toBe(0o640);

    const tar = await sh(`${dockhand} cp ${container}:/tmp/copied - | tar -t | sort`, url);
    expect(tar.stdout.split("\n")).toEqual(expect.arrayContaining(["copied/", "copied/sub/", "copied/sub/a.txt"]));
    const piped = await sh(`tar -c -C ${work} note.txt | ${dockhand} cp - ${container}:/tmp/copied`, url);
    expect(piped.code, piped.stderr).toBe(0);
    expect((await sh(`${dockhand} exec ${container} cat /tmp/copied/note.txt`, url)).stdout).toBe("note body\n");
  });

  it("attach: follows the main process, detaches on Ctrl-C leaving it running; with stdin, its exit code", async () => {
    const ticker = fx.name("ticker");
    await fx.run({ name: ticker, command: ["sh", "-c", "while true; do echo tick; sleep 0.2; done"] });
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "attach", ticker], {
      env: { ...process.env, DOCKHAND_URL: fx.server.url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await until(() => out.includes("tick"));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(docker("inspect", "-f", "{{.State.Running}}", ticker)).toBe("true");

    const reader = fx.name("reader");
    docker(
      "run",
      "-di",
      "--name",
      reader,
      "--label",
      fx.selector,
      testImage,
      "sh",
      "-c",
      "read x; echo got-$x; exit 9",
    );
    const attached = await sh(`echo 41 | ${dockhand} attach ${reader}`, fx.server.url);
    expect(attached.stdout, attached.stderr).toBe("got-41\n");
    expect(attached.code, attached.stderr).toBe(9);
  });

  it("fails clearly: a missing container (NOT_FOUND, 125), a bad command line, an unreadable token file", async () => {
    const missing = await sh(`${dockhand} exec missing-${process.pid} true`, fx.server.url);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("not_found");
    const usage = await sh(`${dockhand} cp a b`, fx.server.url);
    expect(usage.code).toBe(125);
    expect(usage.stderr).toContain("one of the two paths must be CONTAINER:PATH");
    const token = await sh(`${dockhand} exec ${container} true`, fx.server.url, {
      DOCKHAND_TOKEN_FILE: "/nonexistent",
    });
    expect(token.code).toBe(125);
    expect(token.stderr).toContain("cannot read the token file /nonexistent");
  });
});

/** The README's blocks marked `<!-- interactive-test[: terminal] -->`, in order. */
function readmeBlocks(): Array<{ terminal: boolean; code: string }> {
  const text = readFileSync("README.md", "utf8");
  return [...text.matchAll(/<!-- interactive-test(: terminal)? -->\n```bash\n([\s\S]*?)```/g)].map((m) => ({
    terminal: m[1] !== undefined,
    code: m[2]!,
  }));
}

describe("the README's dockhand exec and cp examples, run as written", () => {
  const fx = useContainerFixture("cli-readme");
  const blocks = readmeBlocks();
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // The examples' container, named as they name it.
    dockerQuietly("rm", "-f", "demo-box");
    await fx.run({ name: "demo-box" });
    dir = mkdtempSync(join(tmpdir(), "dockhand-cli-readme-"));
    // `dockhand` on the PATH, as `npm link` would put it.
    mkdirSync(join(dir, "bin"));
    writeFileSync(
      join(dir, "bin", "dockhand"),
      `#!/bin/sh\nexec ${process.execPath} --import ${join(process.cwd(), "node_modules/tsx/dist/esm/index.mjs")} ${join(process.cwd(), "src/main.ts")} "$@"\n`,
    );
    chmodSync(join(dir, "bin", "dockhand"), 0o755);
    env = { ...process.env, DOCKHAND_URL: fx.server.url, PATH: `${join(dir, "bin")}:${process.env.PATH}` };
  });
  afterAll(() => {
    dockerQuietly("rm", "-f", "demo-box");
    rmSync(dir, { recursive: true, force: true });
  });

  it("has a terminal example and a piped one", () => {
    expect(blocks.map((b) => b.terminal)).toEqual([true, false]);
  });

  it("dockhand exec -it: a shell under a terminal, typed into, left with exit", async () => {
    const child = spawn("script", ["-qec", blocks[0]!.code.trim(), "/dev/null"], { env, cwd: dir, stdio: "pipe" });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += lines(c.toString())));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await until(() => out.includes("# "));
    child.stdin.write("echo hello-$((6*7))\r");
    await until(() => out.includes("hello-42"));
    child.stdin.write("exit\r");
    expect(await exited).toBe(0);
  });

  it("piped exec, its exit code, and cp both ways", async () => {
    const result = await run("sh", ["-c", blocks[1]!.code], { env, cwd: dir });
    expect(result.stdout, result.stderr).toBe("hi\nexit code 3\nport: 8080\n");
  });
});

describe("over TLS with a token: dockhand exec with --cacert and DOCKHAND_TOKEN_FILE, and a wss:// session", () => {
  const fx = useContainerFixture("cli-tls");
  const pki: TestPki = createTestPki();
  const tokens = makeTokens();
  let server: LoggedServer;
  let box: string;
  let tokenFile: string;

  beforeAll(async () => {
    box = (await fx.run()).name;
    const tokensFile = join(pki.dir, "tokens.yaml");
    writeTokensFile(tokensFile, [tokens.admin, tokens.viewer]);
    tokenFile = join(pki.dir, "admin.token");
    writeFileSync(tokenFile, `${tokens.admin.token}\n`);
    server = await startLoggedServer({
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      authTokensFile: tokensFile,
      logLevel: "info",
    });
  });
  afterAll(async () => {
    await server?.stop();
    pki.remove();
  });

  it("runs with the CA and the token file, and says why without the token", async () => {
    const ok = await sh(`${dockhand} exec --cacert ${pki.caCert} ${box} echo over-tls`, server.url, {
      DOCKHAND_TOKEN_FILE: tokenFile,
    });
    expect(ok, ok.stderr).toMatchObject({ code: 0, stdout: "over-tls\n" });
    const anonymous = await sh(`${dockhand} exec ${box} echo x`, server.url, { DOCKHAND_CA_FILE: pki.caCert });
    expect(anonymous.code).toBe(125);
    expect(anonymous.stderr).toContain("unauthenticated");
    expect(server.text()).not.toContain(tokens.admin.token);
  });

  it("presents a client certificate with --cert and --key to a server that asks for one (mTLS)", async () => {
    const client = pki.client("cli-operator");
    const tokensFile = join(pki.dir, "mtls-tokens.yaml");
    writeTokensFile(tokensFile, [], [{ subject: "cli-operator", role: "admin" }]);
    const mtls = await startLoggedServer({
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
      authTokensFile: tokensFile,
      logLevel: "info",
    });
    try {
      const flags = `--cacert ${pki.caCert} --cert ${client.cert} --key ${client.key}`;
      const ok = await sh(`${dockhand} exec ${flags} ${box} echo over-mtls`, mtls.url);
      expect(ok, ok.stderr).toMatchObject({ code: 0, stdout: "over-mtls\n" });
      const half = await sh(`${dockhand} exec --cacert ${pki.caCert} --cert ${client.cert} ${box} true`, mtls.url);
      expect(half.code).toBe(125);
      expect(half.stderr).toContain("--cert and --key");
      // A wss:// session is admitted by the certificate alone, as the RPC is.
      const opened = await openWebSocket(
        `${mtls.url}/dockhand.v1.ContainerAgent/ExecSession`,
        ExecSessionRequestSchema,
        ExecSessionResponseSchema,
        {
          ca: readFileSync(pki.caCert, "utf8"),
          cert: readFileSync(client.cert, "utf8"),
          key: readFileSync(client.key, "utf8"),
        },
      );
      if (opened.refused) throw new Error(opened.refused.body);
      opened.session.send({ item: { case: "open", value: { id: box, command: ["true"] } } });
      expect((await opened.session.closed).code).toBe(1000);
      expect(mtls.lines).toEqual(
        expect.arrayContaining([expect.objectContaining({ audit: true, caller: "cli-operator", session: "close" })]),
      );
    } finally {
      await mtls.stop();
    }
  });

  it("takes a wss:// session with the token in the subprotocol", async () => {
    const opened = await openWebSocket(
      `${server.url}/dockhand.v1.ContainerAgent/ExecSession`,
      ExecSessionRequestSchema,
      ExecSessionResponseSchema,
      {
        ca: readFileSync(pki.caCert, "utf8"),
        protocols: ["dockhand.v1", `dockhand.bearer.${Buffer.from(tokens.admin.token).toString("base64url")}`],
      },
    );
    if (opened.refused) throw new Error(opened.refused.body);
    opened.session.send({ item: { case: "open", value: { id: box, command: ["echo", "over-wss"] } } });
    expect((await opened.session.closed).code).toBe(1000);
    const viewer = await openWebSocket(
      `${server.url}/dockhand.v1.ContainerAgent/ExecSession`,
      ExecSessionRequestSchema,
      ExecSessionResponseSchema,
      {
        ca: readFileSync(pki.caCert, "utf8"),
        protocols: ["dockhand.v1", `dockhand.bearer.${Buffer.from(tokens.viewer.token).toString("base64url")}`],
      },
    );
    expect(viewer.refused?.status).toBe(403);
  });
});
