import { execFile, execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki } from "../support/test-pki.js";
import { makeTokens, writeTokensFile } from "../support/tokens-file.js";
import { until } from "../support/until.js";

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run("docker", args, { maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

const id = `${process.pid}-${Date.now().toString(36)}`;
const baseImage = `dockhand-test/node-base:20-${id}`;
const appImage = `dockhand-test/dockhand:${id}`;
const containerName = `dockhand-test-dockerfile-${id}`;
const serviceName = `t-dockerfile-${id}`;

/**
 * A base image made here, since no registry can be reached: FROM scratch with this machine's
 * node, the shared libraries ldd lists, its npm, and busybox for the build stage's shell.
 */
function buildBaseImage(dir: string): void {
  const root = join(dir, "rootfs");
  const copy = (path: string) => {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    cpSync(path, join(root, path), { dereference: true, recursive: true });
  };
  const node = execFileSync("bash", ["-c", 'readlink -f "$(command -v node)"'], { encoding: "utf8" }).trim();
  copy(node);
  const libraries = execFileSync("ldd", [node], { encoding: "utf8" }).match(/\/\S+/g) ?? [];
  for (const library of libraries) copy(library);
  const npm = join(dirname(dirname(node)), "lib", "node_modules", "npm");
  copy(npm);
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  symlinkSync(join(npm, "bin", "npm-cli.js"), join(root, "usr/local/bin/npm"));
  if (node !== "/usr/bin/node") symlinkSync(node, join(root, "usr/local/bin/node"));
  copy("/bin/busybox");
  writeFileSync(
    join(dir, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs /",
      'RUN ["/bin/busybox", "--install", "-s"]',
      'RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp /root && chmod 1777 /tmp"]',
      "ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root",
      // Every stage built on it inherits the label, so cleanup finds the untagged build stage too.
      `LABEL dockhand.test=dockerfile-${id}`,
    ].join("\n"),
  );
  execFileSync("docker", ["build", "-q", "-t", baseImage, dir], { stdio: "ignore" });
}

/** The build context of an offline build: the repository's build inputs plus node_modules. */
function makeContext(dir: string): void {
  for (const entry of [
    "Dockerfile",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "src",
    "gen",
    "node_modules",
    "scripts",
    "dashboard",
  ]) {
    cpSync(entry, join(dir, entry), { recursive: true, verbatimSymlinks: true });
  }
  const ignore = readFileSync(".dockerignore", "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "node_modules");
  writeFileSync(join(dir, ".dockerignore"), ignore.join("\n"));
}

describe("the Dockerfile", () => {
  const work = mkdtempSync(join(tmpdir(), "dockhand-dockerfile-"));
  let url = "";

  beforeAll(async () => {
    mkdirSync(join(work, "base"));
    mkdirSync(join(work, "context"));
    buildBaseImage(join(work, "base"));
    makeContext(join(work, "context"));
    await run(
      "docker",
      [
        "build",
        "-q",
        "--build-arg",
        `BASE_IMAGE=${baseImage}`,
        "--build-arg",
        "NPM_CI=false",
        "-t",
        appImage,
        join(work, "context"),
      ],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    await docker(
      "run",
      "-d",
      "--name",
      containerName,
      "--label",
      `dockhand.test=dockerfile-${id}`,
      "-v",
      "/var/run/docker.sock:/var/run/docker.sock",
      // Published on the host's loopback only: cleartext is then the operator's stated choice.
      "-e",
      "DOCKHAND_INSECURE=true",
      "-p",
      "127.0.0.1:0:7051",
      // The image's own HEALTHCHECK command, polled faster so the test need not wait 15 s.
      "--health-interval",
      "1s",
      appImage,
    );
    url = `http://${await docker("port", containerName, "7051/tcp")}`;
  }, 600_000);

  afterAll(async () => {
    await docker("rm", "-f", containerName).catch(() => undefined);
    const leftovers = await docker("ps", "-aq", "--filter", `label=dockhand.service=${serviceName}`).catch(() => "");
    if (leftovers) await docker("rm", "-f", ...leftovers.split("\n")).catch(() => undefined);
    await docker("rmi", "-f", appImage).catch(() => undefined);
    const built = await docker("images", "-q", "--filter", `label=dockhand.test=dockerfile-${id}`).catch(() => "");
    if (built) await docker("rmi", "-f", ...new Set(built.split("\n"))).catch(() => undefined);
    await docker("rmi", "-f", baseImage).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it("keeps only production dependencies in the runtime image", async () => {
    const check =
      "Promise.all([import('dockerode'), import('typescript').then(() => 'dev', () => 'absent')]).then(([, dev]) => console.log(dev))";
    expect(
      await docker("run", "--rm", "--entrypoint", "node", "-w", "/app", appImage, "--input-type=module", "-e", check),
    ).toBe("absent");
  });

  it("answers on the published port: liveness, readiness and Connect JSON", async () => {
    // Each try has a deadline: a connection the port proxy accepted before dockhand listened can hang.
    let health = 0;
    await until(
      async () =>
        (health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status,
          () => 0,
        )) === 200,
      60_000,
      500,
    );
    expect(health).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const check = await fetch(`${url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await check.json()).toEqual({ status: "SERVING" });
  });

  it("drives the host's engine through the mounted socket", async () => {
    const call = (path: string, body: unknown) =>
      fetch(`${url}/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const created = await call("dockhand.v1.ServiceRegistry/CreateService", {
      service: { name: serviceName, image: "dockhand-test/busybox:1", command: ["sleep", "3600"], init: true },
    });
    expect(created.status).toBe(200);
    const scaled = await call("dockhand.v1.Scaler/Scale", { name: serviceName, replicas: 1 });
    expect(scaled.body).toMatchObject({ status: { name: serviceName, desired: 1, running: 1 } });
    expect(await docker("ps", "-q", "--filter", `label=dockhand.service=${serviceName}`)).not.toBe("");
    const deleted = await call("dockhand.v1.ServiceRegistry/DeleteService", { name: serviceName, force: true });
    expect(deleted.status).toBe(200);
  });

  it("refuses to serve cleartext without auth on the container's 0.0.0.0 unless told it is insecure", async () => {
    const refused = await run("docker", ["run", "--rm", "--label", `dockhand.test=dockerfile-${id}`, appImage]).then(
      () => "",
      (err: { stderr?: string }) => err.stderr ?? "",
    );
    expect(refused).toContain("--insecure");
  });

  it("serves TLS with certificates and tokens from a mounted folder, and its HEALTHCHECK follows", async () => {
    const pki = createTestPki();
    const tokens = makeTokens();
    writeTokensFile(join(pki.dir, "tokens.yml"), [tokens.viewer]);
    chmodSync(pki.dir, 0o755);
    for (const file of readdirSync(pki.dir)) chmodSync(join(pki.dir, file), 0o644);
    const name = `${containerName}-tls`;
    try {
      await docker(
        "run",
        "-d",
        "--name",
        name,
        "--label",
        `dockhand.test=dockerfile-${id}`,
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        `${pki.dir}:/certs:ro`,
        "-e",
        "DOCKHAND_TLS_CERT=/certs/server.pem",
        "-e",
        "DOCKHAND_TLS_KEY=/certs/server.key",
        "-e",
        "DOCKHAND_AUTH_TOKENS=/certs/tokens.yml",
        "-p",
        "127.0.0.1:0:7051",
        "--health-interval",
        "1s",
        appImage,
      );
      const address = await docker("port", name, "7051/tcp");
      const list = () =>
        run("curl", [
          "-sS",
          "--max-time",
          "5",
          "--cacert",
          pki.caCert,
          "-H",
          `authorization: Bearer ${tokens.viewer.token}`,
          "-H",
          "content-type: application/json",
          "-d",
          "{}",
          `https://${address}/dockhand.v1.ServiceRegistry/ListServices`,
        ]).then(
          (r) => r.stdout,
          () => "",
        );
      let body = "";
      await until(async () => (body = await list()).startsWith("{"), 60_000, 500);
      expect(body).toMatch(/^\{/);
      let health = "";
      await until(
        async () => (health = await docker("inspect", "-f", "{{.State.Health.Status}}", name)) === "healthy",
        60_000,
        500,
      );
      expect(health).toBe("healthy");
    } finally {
      await docker("rm", "-f", name).catch(() => undefined);
      pki.remove();
    }
  });

  it("reports healthy through its HEALTHCHECK", async () => {
    let status = "";
    await until(
      async () => (status = await docker("inspect", "-f", "{{.State.Health.Status}}", containerName)) === "healthy",
      60_000,
      500,
    );
    expect(status).toBe("healthy");
  });
});
