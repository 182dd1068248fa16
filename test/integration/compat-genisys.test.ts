import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { writeTokensFile } from "../support/tokens-file.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { sample } from "../support/metrics.js";
import { useTestServer } from "../support/server-fixture.js";
import { removeDataDir, removeServiceContainers, startTestServer } from "../support/test-server.js";

/** The genisys core's connector client, from WIRE.md §2.5: requests.post/get with no timeout. */
function genisysCore(base: string) {
  return {
    /** `requests.post(url, json={"number": value})`; only 200 counts as success. */
    async scale(name: string, value: unknown): Promise<boolean> {
      const res = await fetch(`${base}/service/${name}/scale`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ number: value }),
      });
      await res.arrayBuffer();
      return res.status === 200;
    },
    /** A non-200 status counts as 0 running. */
    async status(name: string): Promise<number> {
      const res = await fetch(`${base}/service/${name}/status`);
      if (res.status !== 200) return 0;
      return Math.trunc(Number(((await res.json()) as { running_resources: unknown }).running_resources));
    },
  };
}

async function call(base: string, method: string, path: string, body?: string, contentType = "application/json") {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    headers: res.headers,
  };
}

describe("genisys connector REST API on dockhand's port", () => {
  const fixture = useTestServer();
  const running = async (name: string) =>
    (await fixture.engine.containers.list({ all: false, labels: [serviceFilter(name)] })).length;
  const all = async (name: string) =>
    (await fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] })).length;

  it("scales 0 -> 3 -> 1 -> 0 as the genisys core drives it, counted on the engine", async () => {
    const name = fixture.service("gen");
    const base = fixture.server.url;
    const created = await call(
      base,
      "POST",
      "/service",
      JSON.stringify({ name, image: testImage, command: "sleep 3600", environment: { ROLE: "web" }, ports: ["8080"] }),
    );
    expect(created).toMatchObject({ status: 200, text: "" });
    const core = genisysCore(base);
    expect(await core.status(name)).toBe(0);
    for (const [value, want] of [
      [3, 3],
      ["1", 1],
      [0, 0],
    ] as const) {
      expect(await core.scale(name, value)).toBe(true);
      // Scale answers once the count holds: no waiting needed before these checks.
      expect(await core.status(name)).toBe(want);
      expect(await running(name)).toBe(want);
      // Scale-down stops and removes: nothing is left behind.
      expect(await all(name)).toBe(want);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(sample(metrics, 'dockhand_rpc_requests_total{procedure="genisys/Scale",code="OK"}')).toBeGreaterThanOrEqual(
      3,
    );
    expect(sample(metrics, 'dockhand_rpc_requests_total{procedure="genisys/Status",code="OK"}')).toBeGreaterThanOrEqual(
      4,
    );
  });

  it("publishes each port string on a free loopback port and splits the command as a shell would", async () => {
    const name = fixture.service("genports");
    const base = fixture.server.url;
    const put = await call(
      base,
      "PUT",
      `/service/${name}`,
      JSON.stringify({
        name: "ignored",
        image: testImage,
        command: `sh -c 'echo "$0 started" && exec httpd -f -p 8080'`,
        ports: ["8080"],
      }),
    );
    expect(put.status).toBe(200);
    const got = await call(base, "GET", `/service/${name}`);
    expect(got.json).toEqual({
      name,
      image: testImage,
      command: `sh -c 'echo "$0 started" && exec httpd -f -p 8080'`,
      environment: null,
      ports: ["8080"],
    });
    expect(await genisysCore(base).scale(name, 1)).toBe(true);
    const [container] = await fixture.engine.containers.list({ all: false, labels: [serviceFilter(name)] });
    expect(container.ports).toEqual([expect.objectContaining({ containerPort: 8080, hostIp: "127.0.0.1" })]);
    expect(container.ports[0].hostPort).toBeGreaterThan(0);
    const listing = await call(base, "GET", "/service");
    expect(listing.json?.[name]).toEqual(got.json);
    expect(await genisysCore(base).scale(name, 0)).toBe(true);
  });

  it("answers the bad inputs of WIRE.md §2.2 with the seed's status codes, JSON messages, and no change", async () => {
    const base = fixture.server.url;
    const name = fixture.service("genbad");
    const definition = { name, image: testImage, command: "sleep 3600" };
    expect((await call(base, "POST", "/service", JSON.stringify(definition))).status).toBe(200);
    const before = (await call(base, "GET", `/service/${name}`)).json;
    const cases: Array<[string, string, string | undefined, number, RegExp, string?]> = [
      ["POST", "/service", undefined, 400, /^No data received$/],
      ["POST", "/service", "{}", 400, /^No data received$/],
      ["POST", "/service", "null", 400, /^No data received$/],
      ["POST", "/service", JSON.stringify(definition), 400, /^No data received$/, "text/plain"],
      ["POST", "/service", "{not json", 400, /not JSON/],
      ["POST", "/service", JSON.stringify({ image: testImage }), 400, /^Missing parameters\.$/],
      ["POST", "/service", JSON.stringify({ name }), 400, /^Missing parameters\.$/],
      ["POST", "/service", JSON.stringify({ name, image: "busybox" }), 400, /tag/],
      ["POST", "/service", JSON.stringify({ name, image: testImage, command: "sh -c 'open" }), 400, /unterminated/],
      ["POST", "/service", JSON.stringify({ name, image: testImage, ports: ["http"] }), 400, /ports\[0\]/],
      ["POST", "/service", JSON.stringify({ name: "Bad Name", image: testImage }), 400, /valid service name/],
      ["PUT", `/service/${name}`, JSON.stringify({ command: "true" }), 400, /^Missing parameter\.$/],
      ["PUT", `/service/${name}`, JSON.stringify({ image: testImage, environment: [1] }), 400, /environment/],
      ["POST", `/service/${name}/scale`, undefined, 400, /^No data received$/],
      ["POST", `/service/${name}/scale`, JSON.stringify({ count: 2 }), 400, /^Missing parameter\.$/],
      [
        "POST",
        `/service/${name}/scale`,
        JSON.stringify({ number: null }),
        400,
        /^Invalid value for number parameter\./,
      ],
      ["POST", `/service/${name}/scale`, JSON.stringify({ number: [2] }), 400, /^Invalid value for number parameter\./],
      [
        "POST",
        `/service/${name}/scale`,
        JSON.stringify({ number: { n: 2 } }),
        400,
        /^Invalid value for number parameter\./,
      ],
      ["POST", `/service/${name}/scale`, JSON.stringify({ number: -1 }), 400, /negative/],
      [
        "POST",
        `/service/${name}/scale`,
        JSON.stringify({ number: "two" }),
        400,
        /^Invalid value for number parameter\./,
      ],
      [
        "POST",
        `/service/${name}/scale`,
        JSON.stringify({ number: 1000000 }),
        400,
        /^Invalid value for number parameter\..*100/,
      ],
      ["POST", "/service/t-nothing-here/scale", JSON.stringify({ number: null }), 400, /^Invalid value/],
      [
        "POST",
        "/service/t-nothing-here/scale",
        JSON.stringify({ number: 1 }),
        501,
        /^Undefined service: t-nothing-here\.$/,
      ],
      ["GET", "/service/t-nothing-here/status", undefined, 501, /^Undefined service: t-nothing-here\.$/],
      ["GET", "/service/t-nothing-here", undefined, 501, /^Undefined service: t-nothing-here\.$/],
      ["GET", "/service/Not%20Valid", undefined, 501, /^Undefined service: Not Valid\.$/],
    ];
    for (const [method, path, body, status, message, contentType] of cases) {
      const answer = await call(base, method, path, body, contentType);
      expect({ method, path, body, status: answer.status }).toEqual({ method, path, body, status });
      expect(answer.headers.get("content-type")).toBe("application/json");
      expect(String(answer.json?.error)).toMatch(message);
    }
    // None of those changed anything: the definition is as it was, no service appeared, nothing runs.
    expect((await call(base, "GET", `/service/${name}`)).json).toEqual(before);
    expect((await call(base, "GET", "/service")).json).not.toHaveProperty("Bad Name");
    expect(await all(name)).toBe(0);

    const wrong = await call(base, "DELETE", `/service/${name}`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD, PUT");
    expect(wrong.json).toEqual({ error: "Method not allowed." });
    expect((await call(base, "GET", `/service/${name}/scale`)).status).toBe(405);

    const big = await call(
      base,
      "PUT",
      `/service/${name}`,
      JSON.stringify({ image: testImage, command: "x".repeat(102_400) }),
    );
    expect(big.status).toBe(413);
    expect((await call(base, "GET", `/service/${name}`)).json).toEqual(before);
  });

  it("works with curl, HEAD included", async () => {
    const base = fixture.server.url;
    const name = fixture.service("gencurl");
    // curl runs beside the server in this process, so it must not block the event loop.
    const curl = async (...args: string[]) =>
      (await promisify(execFile)("curl", ["-sS", "-w", "\n%{http_code}", ...args], { encoding: "utf8" })).stdout;
    expect(
      await curl(
        "-H",
        "content-type: application/json",
        "-d",
        JSON.stringify({ name, image: testImage, command: "sleep 3600" }),
        `${base}/service`,
      ),
    ).toBe("\n200");
    expect(
      await curl("-H", "content-type: application/json", "-d", '{"number": "1"}', `${base}/service/${name}/scale`),
    ).toBe("\n200");
    expect(await curl(`${base}/service/${name}/status`)).toBe('{"running_resources":1}\n\n200');
    expect(await curl("-I", `${base}/service/${name}/status`)).toMatch(/^HTTP\/1\.1 200/);
    expect(
      await curl("-H", "content-type: application/json", "-d", '{"number": 0}', `${base}/service/${name}/scale`),
    ).toBe("\n200");
  });
});

describe("genisys services.py as the service file", () => {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-genisys-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads its dict literals at start-up, and refuses anything else with its line number", async () => {
    const { requireEngine } = await import("../support/engine.js");
    const engine = await requireEngine();
    const name = `t-genfile-${process.pid}-${Date.now().toString(36)}`;
    const file = join(dir, "services.py");
    writeFileSync(
      file,
      `# as the seed's sample\n${name.replace(/-/g, "_")} = {'name': 'web', 'image': '${testImage}',\n  'command': 'sleep 3600', 'environment': {'N': 1}, 'ports': ['8080']}\n`,
    );
    const server = await startTestServer(engine, { serviceFile: file });
    try {
      const listed = (await (await fetch(`${server.url}/service`)).json()) as Record<string, unknown>;
      expect(listed[name.replace(/-/g, "_")]).toEqual({
        name: name.replace(/-/g, "_"),
        image: testImage,
        command: "sleep 3600",
        environment: { N: "1" },
        ports: ["8080"],
      });
    } finally {
      await server.close();
      removeDataDir(server.dataDir);
    }
    writeFileSync(file, `ok = {'image': '${testImage}'}\nimport os\n`);
    await expect(startTestServer(engine, { serviceFile: file, dataDir: join(dir, "data") })).rejects.toThrow(
      /services\.py line 2: /,
    );
  });
});

describe("genisys connector REST API with tokens and switched off", () => {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-genisys-auth-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("applies the typed API's roles with tokens on, and answers nothing when switched off", async () => {
    const { requireEngine } = await import("../support/engine.js");
    const engine = await requireEngine();
    const token = (role: "viewer" | "operator") => ({ name: role, role, token: randomBytes(18).toString("base64url") });
    const viewer = token("viewer");
    const operator = token("operator");
    const tokensFile = join(dir, "tokens.yml");
    writeTokensFile(tokensFile, [viewer, operator]);
    const secured = await startTestServer(engine, { authTokensFile: tokensFile });
    const off = await startTestServer(engine, { compatGenisys: false });
    const name = `t-genauth-${process.pid}-${Date.now().toString(36)}`;
    try {
      const send = (token: string | undefined, method: string, path: string, body?: unknown) =>
        fetch(`${secured.url}${path}`, {
          method,
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const anonymous = await send(undefined, "GET", "/service");
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
      expect((await anonymous.json()) as object).toHaveProperty("error");
      expect((await send("not-a-token", "GET", "/service")).status).toBe(401);
      expect((await send(viewer.token, "GET", "/service")).status).toBe(200);
      const denied = await send(viewer.token, "POST", "/service", { name, image: testImage, command: "sleep 3600" });
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as { error: string }).error).toContain("operator");
      expect((await send(viewer.token, "GET", `/service/${name}`)).status).toBe(501);
      expect(
        (await send(operator.token, "POST", "/service", { name, image: testImage, command: "sleep 3600" })).status,
      ).toBe(200);
      expect((await send(viewer.token, "POST", `/service/${name}/scale`, { number: 1 })).status).toBe(403);
      expect((await send(viewer.token, "GET", `/service/${name}/status`)).status).toBe(200);

      // The mistify route goes through the same check: viewer may query, not create.
      const rpc = (token: string, method: string, params: unknown) =>
        fetch(`${secured.url}/_mistify_RPC_`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ method: `MDocker.${method}`, params: [params], id: 7 }),
        });
      expect((await rpc(viewer.token, "GetInfo", {})).status).toBe(200);
      const refused = await rpc(operator.token, "CreateContainer", {
        guest: { id: name, image: testImage, nics: [{ network: "br0" }] },
      });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain("admin");
      expect(await engine.containers.list({ all: true, name })).toEqual([]);

      const gone = await fetch(`${off.url}/service`);
      expect(gone.status).toBe(404);
    } finally {
      await secured.close();
      await off.close();
      await removeServiceContainers(engine, [name]);
      removeDataDir(secured.dataDir);
      removeDataDir(off.dataDir);
    }
  });
});
