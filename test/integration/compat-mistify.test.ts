import { execFile } from "node:child_process";
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { Config } from "../../src/app/config.js";
import { clientFor } from "../support/clients.js";
import { testImage } from "../support/engine.js";
import { removeImages } from "../support/images.js";
import { sample } from "../support/metrics.js";
import { useTestServer } from "../support/server-fixture.js";
import { removeDataDir, startTestServer } from "../support/test-server.js";
import { until } from "../support/until.js";

const run = promisify(execFile);

/** The mistify agent's client (MA rpc/client.go, WIRE.md §1.2): random 63-bit ids, status >= 400 and `error` are errors. */
function mdocker(base: string) {
  async function raw(body: string, contentType = "application/json") {
    const res = await fetch(`${base}/_mistify_RPC_`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
  }
  async function call(method: string, params: unknown): Promise<Record<string, unknown>> {
    const id = (randomBytes(8).readBigUInt64BE() >> 1n).toString();
    const answer = await raw(`{"method":"MDocker.${method}","params":[${JSON.stringify(params)}],"id":${id}}`);
    if (answer.status >= 400) throw new Error(answer.text);
    expect(answer.text.endsWith("\n")).toBe(true);
    // The id comes back as the same integer, not a float rendering of it.
    expect(answer.text).toMatch(new RegExp(`"id":${id}}\\n$`));
    const envelope = JSON.parse(answer.text) as { result: Record<string, unknown> | null; error: string | null };
    if (envelope.error !== null) throw new Error(String(envelope.error));
    if (envelope.result === null) throw new Error("result is null");
    return envelope.result;
  }
  return { raw, call };
}

function guestFor(id: string, image: string) {
  const mac = `02:${[...randomBytes(5)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
  return {
    id,
    type: "container",
    image,
    nics: [
      {
        name: "eth0",
        network: "br0",
        model: "",
        mac,
        address: "10.0.0.5",
        netmask: "255.255.255.0",
        gateway: "10.0.0.1",
        vlans: [10],
      },
    ],
    state: "create",
    memory: 64,
    cpu: 1,
  };
}

describe("mistify agent JSON-RPC on dockhand's port", () => {
  const overrides: Partial<Config> = {};
  let imageServer: http.Server;
  const served = new Map<string, (res: http.ServerResponse) => void>();
  const images: string[] = [];
  const containers: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "dockhand-mistify-"));
  let imageId = "";

  beforeAll(async () => {
    imageServer = http.createServer((req, res) => {
      const answer = served.get(req.url ?? "");
      if (answer) answer(res);
      else res.writeHead(404).end("not here");
    });
    await new Promise<void>((resolve) => imageServer.listen(0, "127.0.0.1", resolve));
    overrides.mistifyImageService = `127.0.0.1:${(imageServer.address() as net.AddressInfo).port}`;
    // A UUID-named image whose main process stops at SIGTERM, as the seed's images were named.
    imageId = randomUUID();
    writeFileSync(
      join(dir, "Dockerfile"),
      `FROM ${testImage}\nCMD ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]\n`,
    );
    await run("docker", ["build", "-q", "-t", `${imageId}:latest`, dir]);
    images.push(`${imageId}:latest`);
  });
  const fixture = useTestServer(overrides);
  afterAll(async () => {
    imageServer.close();
    await Promise.all(containers.map((id) => run("docker", ["rm", "-f", id]).catch(() => undefined)));
    removeImages(images);
    rmSync(dir, { recursive: true, force: true });
  });

  const stateOf = async (id: string) => (await fixture.engine.containers.describe(id)).state;

  it("runs the agent's action sequences (§1.7), the whole guest coming back after each stage", async () => {
    const client = mdocker(fixture.server.url);
    const id = randomUUID();
    containers.push(id);
    const sent = guestFor(id, imageId);
    let guest: Record<string, unknown> = sent;
    const stage = async (method: string, state: string, engineState: string) => {
      const result = await client.call(method, { guest, action: "containerCreate" });
      guest = result.guest as Record<string, unknown>;
      expect(guest).toEqual({ ...sent, state });
      expect(Object.keys(guest)).toEqual(Object.keys(sent));
      expect(await stateOf(id)).toBe(engineState);
    };
    // containerCreate
    await stage("CreateContainer", "stopped", "created");
    const inspected = await fixture.engine.docker.getContainer(id).inspect();
    expect(inspected.Name).toBe(`/${id}`);
    expect(inspected.Config.Hostname).toBe(id);
    expect(inspected.Config.OpenStdin).toBe(true);
    expect(inspected.HostConfig.Memory).toBe(64 * 1024 * 1024);
    await stage("StartContainer", "running", "running");
    expect((await fixture.engine.docker.getContainer(id).inspect()).NetworkSettings.Networks.bridge?.MacAddress).toBe(
      sent.nics[0].mac,
    );
    // containerStart on a running one, containerShutdown twice, containerStart
    await stage("StartContainer", "running", "running");
    await stage("StopContainer", "stopped", "exited");
    await stage("StopContainer", "stopped", "exited");
    await stage("StartContainer", "running", "running");
    // containerRestart, containerReboot
    await stage("RestartContainer", "running", "running");
    await stage("RebootContainer", "running", "running");
    // Pause and unpause, each twice: the ContainerAgent's idempotency (the seed failed the second).
    await stage("PauseContainer", "paused", "paused");
    await stage("PauseContainer", "paused", "paused");
    await stage("UnpauseContainer", "running", "running");
    await stage("UnpauseContainer", "running", "running");
    // containerDelete: Stop, then Delete; a second Delete finds it gone and says so as deleted.
    await stage("StopContainer", "stopped", "exited");
    const deleted = await client.call("DeleteContainer", { guest, action: "containerDelete" });
    expect(deleted.guest).toEqual({ ...sent, state: "deleted" });
    expect(await fixture.engine.containers.list({ all: true, name: id })).toEqual([]);
    expect((await client.call("DeleteContainer", { guest, action: "containerDelete" })).guest).toEqual({
      ...sent,
      state: "deleted",
    });

    const metrics = await (await fetch(`${fixture.server.url}/metrics`)).text();
    expect(sample(metrics, 'dockhand_rpc_requests_total{procedure="mistify/MDocker.CreateContainer",code="OK"}')).toBe(
      1,
    );
    expect(sample(metrics, 'dockhand_rpc_requests_total{procedure="mistify/MDocker.PauseContainer",code="OK"}')).toBe(
      2,
    );
  });

  it("deletes a running guest by stopping it first", async () => {
    const client = mdocker(fixture.server.url);
    const id = randomUUID();
    containers.push(id);
    const guest = guestFor(id, imageId);
    await client.call("CreateContainer", { guest, action: "containerCreate" });
    await client.call("StartContainer", { guest, action: "containerStart" });
    expect((await client.call("DeleteContainer", { guest, action: "containerDelete" })).guest).toMatchObject({
      state: "deleted",
    });
    expect(await fixture.engine.containers.list({ all: true, name: id })).toEqual([]);
  });

  it("answers the container and image queries in the seed's shapes", async () => {
    const client = mdocker(fixture.server.url);
    const id = randomUUID();
    containers.push(id);
    const guest = guestFor(id, imageId);
    await client.call("CreateContainer", { guest, action: "containerCreate" });
    await client.call("StartContainer", { guest, action: "containerStart" });

    const got = (await client.call("GetContainer", { id, opts: null })).containers as Array<Record<string, any>>;
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      Name: `/${id}`,
      State: { Running: true, Paused: false },
      Config: { Image: imageId },
    });
    expect(got[0].Id).toMatch(/^[0-9a-f]{64}$/);
    const listed = (
      await client.call("ListContainers", {
        id: "",
        opts: { All: true, Size: false, Limit: 0, Since: "", Before: "", Filters: { name: [id] } },
      })
    ).containers as Array<Record<string, any>>;
    expect(listed.map((c) => c.Name)).toEqual([`/${id}`]);
    const lower = (
      await client.call("ListContainers", { id: "", opts: { all: false, filters: { label: ["no.such.label"] } } })
    ).containers;
    expect(lower).toEqual([]);

    const untagged = (await run("docker", ["build", "-q", dir])).stdout.trim();
    images.push(untagged);
    const allImages = (await client.call("ListImages", { id: "", type: "", dest: "", source: "" })).images as Array<
      Record<string, unknown>
    >;
    expect(allImages).toContainEqual({ id: imageId, type: "container", size: expect.any(Number) });
    expect(allImages.every((i) => /^[0-9a-f-]{36}$/.test(String(i.id)))).toBe(true);
    expect((await client.call("GetImage", { id: imageId, type: "", dest: "", source: "" })).images).toEqual([
      { id: imageId, type: "container", size: expect.any(Number) },
    ]);

    const info = await client.call("GetInfo", {});
    expect(info.ID).toMatch(/\S/);
    expect(info).toMatchObject({
      ContainersRunning: expect.any(Number),
      NCPU: expect.any(Number),
      ServerVersion: expect.any(String),
    });

    const repository = `dockhand-imgtest/saved-${process.pid}-${randomInt(1e9)}`;
    const saved = (
      await client.call("SaveContainer", {
        id,
        opts: { Repository: repository, Tag: "v1", Message: "from mistify", Author: "tests" },
      })
    ).images as Array<Record<string, unknown>>;
    images.push(`${repository}:v1`);
    expect(saved).toEqual([{ id: expect.stringMatching(/^sha256:/), type: "container", size: expect.any(Number) }]);
    const committed = await fixture.engine.docker.getImage(`${repository}:v1`).inspect();
    expect(committed).toMatchObject({ Comment: "from mistify", Author: "tests" });

    const other = randomUUID();
    await run("docker", ["tag", untagged, `${other}:latest`]);
    images.push(`${other}:latest`);
    expect((await client.call("DeleteImage", { id: other, type: "", dest: "", source: "" })).images).toEqual([
      { id: other, type: "container", size: expect.any(Number) },
    ]);
    await expect(client.call("GetImage", { id: other, type: "", dest: "", source: "" })).rejects.toThrow(
      /^no such image$/,
    );
  });

  it("loads images from the image service, plain and gzipped, as <id>:latest", async () => {
    const client = mdocker(fixture.server.url);
    const tar = join(dir, "image.tar");
    await run("docker", ["save", "-o", tar, `${imageId}:latest`]);
    const archive = readFileSync(tar);
    for (const body of [archive, gzipSync(archive)]) {
      const id = randomUUID();
      images.push(`${id}:latest`);
      served.set(`/images/${id}/download`, (res) =>
        res.writeHead(200, { "content-type": "application/octet-stream" }).end(body),
      );
      const loaded = await client.call("LoadImage", { id, type: "container", dest: "", source: "" });
      expect(loaded.images).toEqual([{ id, type: "container", size: expect.any(Number) }]);
      expect((await fixture.engine.images.describe(`${id}:latest`)).repoTags).toContain(`${id}:latest`);
      // Present now: a second load downloads nothing.
      served.delete(`/images/${id}/download`);
      expect((await client.call("LoadImage", { id, type: "", dest: "", source: "" })).images).toEqual(loaded.images);
    }
    const missing = randomUUID();
    const base = `http://${overrides.mistifyImageService}`;
    await expect(client.call("LoadImage", { id: missing, type: "", dest: "", source: "" })).rejects.toThrow(
      `unexpected http response code: expected 200, received 404, url: ${base}/images/${missing}/download`,
    );
  });

  it("refuses an image service redirect to a metadata address, in any spelling, before connecting to it", async () => {
    const client = mdocker(fixture.server.url);
    const agent = clientFor(ContainerAgent, fixture.server.url);
    const attempts: string[] = [];
    const onSocket = (message: unknown) =>
      (message as { socket: net.Socket }).socket.on("connectionAttempt", (ip: string) => attempts.push(ip));
    diagnostics.subscribe("net.client.socket", onSocket);
    try {
      for (const target of [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://[::ffff:169.254.169.254]/",
      ]) {
        const id = randomUUID();
        served.set(`/images/${id}/download`, (res) => res.writeHead(302, { location: target }).end());
        await expect(client.call("LoadImage", { id, type: "", dest: "", source: "" })).rejects.toThrow(
          /refused: .*link-local or cloud-metadata/,
        );
        const typed = await agent
          .loadImage({
            source: { case: "url", value: `http://${overrides.mistifyImageService}/images/${id}/download` },
          })
          .catch((err: unknown) => ConnectError.from(err));
        expect(typed).toBeInstanceOf(ConnectError);
        expect((typed as ConnectError).code).toBe(Code.PermissionDenied);
      }
    } finally {
      diagnostics.unsubscribe("net.client.socket", onSocket);
    }
    // Connections go to the local image server (and unix sockets to the engine), never to the targets.
    expect(attempts.filter((ip) => typeof ip === "string" && !ip.startsWith("127.") && ip !== "::1")).toEqual([]);
    expect(attempts.filter((ip) => typeof ip === "string" && ip.startsWith("127.")).length).toBeGreaterThanOrEqual(8);
  });

  it("narrows downloads to dockhand.load_allowed_hosts, for mistify and the typed LoadImage alike", async () => {
    const narrow = await startTestServer(fixture.engine, {
      loadAllowedHosts: ["10.0.0.0/8", "images.example"],
      mistifyImageService: overrides.mistifyImageService,
    });
    try {
      const id = randomUUID();
      served.set(`/images/${id}/download`, (res) => res.writeHead(200).end("never read"));
      await expect(mdocker(narrow.url).call("LoadImage", { id, type: "", dest: "", source: "" })).rejects.toThrow(
        /not in dockhand\.load_allowed_hosts/,
      );
      const typed = await clientFor(ContainerAgent, narrow.url)
        .loadImage({ source: { case: "url", value: `http://${overrides.mistifyImageService}/images/${id}/download` } })
        .catch((err: unknown) => ConnectError.from(err));
      expect((typed as ConnectError).code).toBe(Code.PermissionDenied);
    } finally {
      await narrow.close();
      removeDataDir(narrow.dataDir);
    }
  });

  it("answers the bad inputs of §1.2 and the method errors of §1.8 as specified, changing nothing", async () => {
    const client = mdocker(fixture.server.url);
    const url = `${fixture.server.url}/_mistify_RPC_`;
    const transport: Array<[string, RequestInit, number, string]> = [
      ["GET", { method: "GET" }, 405, "rpc: POST method required, received GET"],
      [
        "text/plain",
        { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" },
        415,
        "rpc: unrecognized Content-Type: text/plain",
      ],
      ["no type", { method: "POST", body: new TextEncoder().encode("{}") }, 415, "rpc: unrecognized Content-Type:"],
    ];
    for (const [what, init, status, text] of transport) {
      const res = await fetch(url, init);
      expect({ what, status: res.status, text: (await res.text()).trim() }).toEqual({ what, status, text });
    }
    const id = randomUUID();
    const bodies: Array<[string, number, string]> = [
      ["", 400, "EOF"],
      ["xyz", 400, "invalid character 'x' looking for beginning of value"],
      ['{"method":"Foo","params":[{}],"id":1}', 400, 'rpc: service/method request ill-formed: "Foo"'],
      ['{"method":"Foo.Bar","params":[{}],"id":1}', 400, 'rpc: can\'t find service "Foo.Bar"'],
      ['{"method":"MDocker.GetImages","params":[{}],"id":1}', 400, 'rpc: can\'t find method "MDocker.GetImages"'],
      ['{"method":"MDocker.GetInfo","id":1}', 400, "rpc: method request ill-formed: missing params field"],
      [
        '{"method":"MDocker.GetInfo","params":null,"id":1}',
        400,
        "rpc: method request ill-formed: missing params field",
      ],
      [
        '{"method":"MDocker.GetInfo","params":{},"id":1}',
        400,
        "json: cannot unmarshal object into Go value of type [1]interface {}",
      ],
      [
        `{"method":"MDocker.CreateContainer","params":[{"guest":{"id":"${id}","memory":"lots"}}],"id":1}`,
        400,
        "json: cannot unmarshal string into Go value of type uint",
      ],
      [
        `{"method":"MDocker.CreateContainer","params":[{"guest":{"id":"${id}","memory":-1}}],"id":1}`,
        400,
        "json: cannot unmarshal number -1 into Go value of type uint",
      ],
    ];
    for (const [body, status, text] of bodies) {
      const answer = await client.raw(body);
      expect({ body, status: answer.status, text: answer.text.trim() }).toEqual({ body, status, text });
      expect(answer.contentType).toMatch(/^text\/plain/);
    }

    const failures: Array<[string, unknown, string | RegExp]> = [
      ["CreateContainer", { action: "containerCreate" }, "missing guest with id"],
      ["CreateContainer", { guest: null, action: "containerCreate" }, "missing guest with id"],
      ["CreateContainer", { guest: { id: "" } }, "missing guest with id"],
      ["CreateContainer", { guest: { ...guestFor(id, imageId), nics: [] } }, "must specify at least one nic"],
      ["CreateContainer", { guest: guestFor(id, randomUUID()) }, "no such image"],
      ["CreateContainer", { guest: { ...guestFor(id, imageId), memory: 1 } }, /memory/i],
      ["StartContainer", { guest: null, action: "containerStart" }, "missing guest with id"],
      ["StartContainer", {}, "missing guest with id"],
      ["StartContainer", { guest: { id } }, `No such container: ${id}`],
      ["StopContainer", { guest: { id: "../etc" } }, /not a container id/],
      ["GetContainer", { id, opts: null }, `No such container: ${id}`],
      ["GetImage", { id: randomUUID(), type: "", dest: "", source: "" }, "no such image"],
      ["GetImage", { id: "Not/Valid", type: "", dest: "", source: "" }, "no such image"],
      ["DeleteImage", { id: randomUUID(), type: "", dest: "", source: "" }, "no such image"],
      ["LoadImage", { id: "../../x", type: "", dest: "", source: "" }, /not an image id/],
      ["ListContainers", { opts: { Filters: { status: ["running"] } } }, /not supported/],
    ];
    for (const [method, params, text] of failures) {
      const answer = await client.raw(`{"method":"MDocker.${method}","params":[${JSON.stringify(params)}],"id":42}`);
      expect({ method, status: answer.status }).toEqual({ method, status: 200 });
      const envelope = JSON.parse(answer.text) as { result: unknown; error: string; id: number };
      expect(envelope.result).toBeNull();
      expect(envelope.id).toBe(42);
      if (typeof text === "string") expect(envelope.error).toBe(text);
      else expect(envelope.error).toMatch(text);
    }
    expect(await fixture.engine.containers.list({ all: true, name: id })).toEqual([]);

    // A duplicate name is the seed's text; a notification (null id) runs and answers an empty 200.
    const dup = randomUUID();
    containers.push(dup);
    const guest = guestFor(dup, imageId);
    await client.call("CreateContainer", { guest });
    await expect(client.call("CreateContainer", { guest })).rejects.toThrow(/^container already exists$/);
    const notification = await client.raw(
      `{"method":"MDocker.StartContainer","params":[${JSON.stringify({ guest })}],"id":null}`,
    );
    expect(notification).toMatchObject({ status: 200, text: "" });
    await until(async () => (await stateOf(dup)) === "running");
    // Keys match whatever their case (Go's decoder), and a string id is echoed as sent.
    const mixed = await client.raw(`{"Method":"MDocker.GetInfo","PARAMS":[{}],"Id":"abc"}`);
    expect(mixed.status).toBe(200);
    expect(mixed.text).toMatch(/"id":"abc"}\n$/);
  });
});
