import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface AuthRegistry {
  /** `127.0.0.1:<port>`; the daemon treats every 127.0.0.0/8 registry as insecure-allowed. */
  host: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (res) => res.status === 401,
    () => false,
  );
}

/**
 * Starts Debian's docker-registry with htpasswd basic auth on a free loopback port, for the
 * per-call credential tests. The bcrypt hash comes from Python's crypt module (Debian's
 * python3, already a test dependency), as no bcrypt library is installed for Node.
 */
export async function startAuthRegistry(): Promise<AuthRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-auth-registry-"));
  const username = "dockhand";
  const password = `pw-${process.pid}-${Date.now()}`;
  const hash = execFileSync(
    "python3",
    [
      "-W",
      "ignore",
      "-c",
      "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))",
      password,
    ],
    { encoding: "utf8" },
  ).trim();
  writeFileSync(join(dir, "htpasswd"), `${username}:${hash}\n`);
  const host = `127.0.0.1:${await freePort()}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: warn}",
      `storage: {filesystem: {rootdirectory: ${join(dir, "storage")}}, delete: {enabled: true}}`,
      `http: {addr: "${host}"}`,
      `auth: {htpasswd: {realm: dockhand-test, path: ${join(dir, "htpasswd")}}}`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill();
      await new Promise((resolve) => child.once("exit", resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (await answers(`http://${host}/v2/`)) return { host, username, password, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`docker-registry with auth did not start on ${host}`);
}
