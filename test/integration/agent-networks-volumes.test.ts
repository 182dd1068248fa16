import { afterAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { failureOf } from "../support/failure.js";
import { docker, dockerQuietly } from "../support/run.js";

describe("ContainerAgent volume and network calls", () => {
  const fixture = useTestServer();
  const agent = () => clientFor(ContainerAgent, fixture.server.url);
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const volume = `t-agent-vol-${suffix}`;
  const network = `t-agent-net-${suffix}`;
  const user = `t-agent-user-${suffix}`;
  const peer = `t-agent-peer-${suffix}`;

  afterAll(() => {
    dockerQuietly("rm", "-f", user, peer);
    dockerQuietly("volume", "rm", volume);
    dockerQuietly("network", "rm", network);
  });

  it("creates, lists, gets and deletes a volume idempotently; refuses to delete one in use", async () => {
    const first = await agent().createVolume({ name: volume, labels: { team: "edge" } });
    expect(first).toMatchObject({ created: true, volume: { name: volume, driver: "local", labels: { team: "edge" } } });
    expect((await agent().createVolume({ name: volume, labels: { other: "x" } })).created).toBe(false);
    expect((await agent().getVolume({ name: volume })).volume?.labels).toEqual({ team: "edge" });
    const listed = await agent().listVolumes({ labelSelector: ["team=edge"] });
    expect(listed.volumes.map((v) => v.name)).toContain(volume);
    expect((await agent().listVolumes({ labelSelector: [`team=nobody-${suffix}`] })).volumes).toEqual([]);

    docker("create", "--name", user, "-v", `${volume}:/data`, testImage, "true");
    const inUse = await failureOf(agent().deleteVolume({ name: volume }));
    expect(inUse).toMatchObject({ code: Code.FailedPrecondition });
    docker("rm", "-f", user);
    expect(await agent().deleteVolume({ name: volume })).toMatchObject({ deleted: true });
    expect(await agent().deleteVolume({ name: volume })).toMatchObject({ deleted: false });
    expect(await failureOf(agent().getVolume({ name: volume }))).toMatchObject({ code: Code.NotFound });
  });

  it("creates a network, connects a container with an alias others resolve, disconnects, deletes: each twice", async () => {
    const first = await agent().createNetwork({ name: network, labels: { team: "edge" } });
    expect(first).toMatchObject({
      created: true,
      network: { name: network, driver: "bridge", labels: { team: "edge" } },
    });
    const again = await agent().createNetwork({ name: network });
    expect(again).toMatchObject({ created: false, network: { id: first.network!.id } });
    expect((await agent().listNetworks({ labelSelector: ["team=edge"] })).networks.map((n) => n.name)).toContain(
      network,
    );

    const id = docker("run", "-d", "--name", user, "--init", testImage, "sleep", "3600");
    docker("run", "-d", "--name", peer, "--network", network, "--init", testImage, "sleep", "3600");
    expect(await agent().connectNetwork({ network, container: user, aliases: ["db"] })).toMatchObject({
      connected: true,
    });
    expect(await agent().connectNetwork({ network, container: user, aliases: ["db"] })).toMatchObject({
      connected: false,
    });
    const got = (await agent().getNetwork({ network })).network!;
    const endpoint = got.containers.find((c) => c.containerId === id)!;
    expect(endpoint.containerName).toBe(user);
    expect(docker("exec", peer, "nslookup", "-type=a", "db")).toContain(`Address: ${endpoint.ipv4Address}`);

    const busy = await failureOf(agent().deleteNetwork({ network }));
    expect(busy).toMatchObject({ code: Code.FailedPrecondition });
    expect(await agent().disconnectNetwork({ network, container: user })).toMatchObject({ disconnected: true });
    expect(await agent().disconnectNetwork({ network, container: user })).toMatchObject({ disconnected: false });
    docker("rm", "-f", peer);
    expect(await agent().deleteNetwork({ network })).toMatchObject({ deleted: true });
    expect(await agent().deleteNetwork({ network })).toMatchObject({ deleted: false });
    expect(await failureOf(agent().getNetwork({ network }))).toMatchObject({ code: Code.NotFound });
    expect(await failureOf(agent().connectNetwork({ network, container: user }))).toMatchObject({
      code: Code.NotFound,
    });
  });

  it.each([
    ["name", () => agent().createVolume({ name: "/etc" })],
    ["name", () => agent().createVolume({ name: "" })],
    ['labels["dockhand.service"]', () => agent().createVolume({ name: "x", labels: { "dockhand.service": "web" } })],
    ["label_selector[0]", () => agent().listVolumes({ labelSelector: ["=x"] })],
    ["name", () => agent().createNetwork({ name: "host" })],
    ["name", () => agent().createNetwork({ name: "a/b" })],
    ["name", () => agent().getNetwork({})],
    ["network", () => agent().getNetwork({ network: "a/b" })],
    ["network", () => agent().deleteNetwork({ network: "n", name: "n" })],
    ["container", () => agent().connectNetwork({ network: "n", container: "../x" })],
    ["aliases[0]", () => agent().connectNetwork({ network: "n", container: "c", aliases: ["-bad"] })],
  ])("refuses a bad %s with INVALID_ARGUMENT", async (field, call) => {
    const err = await failureOf(call());
    expect(err).toMatchObject({ code: Code.InvalidArgument });
    expect(err.rawMessage.startsWith(`${field}:`)).toBe(true);
  });
});
