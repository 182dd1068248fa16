import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler, ScaleWaitFor } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { removeServiceContainers } from "../support/test-server.js";
import { until } from "../support/until.js";
import { docker, dockerQuietly } from "../support/run.js";

/** Serves its own hostname (the container id's first 12 characters) on port 8080. */
const serveHostname = ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"];
/** Ready once httpd answers, so a Scale that waits for READY returns with every replica serving. */
const healthCheck = {
  command: ["wget", "-qO-", "http://127.0.0.1:8080/"],
  interval: { seconds: 0n, nanos: 200_000_000 },
  startPeriod: { seconds: 60n, nanos: 0 },
};

describe("networks with the service name as a DNS alias", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const created = `t-net-made-${suffix}`;
  const existing = `t-net-given-${suffix}`;
  const client = `t-net-client-${suffix}`;
  const names: string[] = [];

  afterAll(async () => {
    for (const name of names)
      await registry()
        .deleteService({ name, force: true })
        .catch(() => undefined);
    await removeServiceContainers(fixture.engine, names);
    dockerQuietly("rm", "-f", client);
    dockerQuietly("network", "rm", created);
    dockerQuietly("network", "rm", existing);
  });

  /** The IPv4 addresses `nslookup` gives for a name, from the client container. */
  const lookup = (name: string) =>
    [...dockerQuietly("exec", client, "nslookup", "-type=a", name).matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)]
      .map((m) => m[1]!)
      .sort();
  const addressesOn = async (name: string, network: string) =>
    Promise.all(
      (await scaler().getStatus({ name })).status!.containers.map((c) =>
        docker("inspect", "--format", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, c.id),
      ),
    ).then((ips) => ips.sort());

  it("lets another container resolve and reach every replica by the service's name while it scales 1 → 3 → 1", async () => {
    const name = fixture.service("dns");
    names.push(name);
    docker("network", "create", existing);
    docker("run", "-d", "--name", client, "--network", existing, "--init", testImage, "sleep", "3600");
    await registry().createService({
      service: {
        name,
        image: testImage,
        command: serveHostname,
        init: true,
        networks: [created, existing],
        healthCheck,
      },
    });
    expect(JSON.parse(docker("network", "inspect", "--format", "{{json .Labels}}", existing))).toEqual({});

    for (const replicas of [1, 3, 1]) {
      await scaler().scale({ name, replicas, waitFor: ScaleWaitFor.READY });
      const expected = await addressesOn(name, existing);
      expect(expected).toHaveLength(replicas);
      await until(async () => JSON.stringify(lookup(name)) === JSON.stringify(expected));
      for (const ip of expected)
        expect(docker("exec", client, "wget", "-qO-", `http://${ip}:8080/`)).toMatch(/^[0-9a-f]{12}$/);
      const hostnames = (await scaler().getStatus({ name })).status!.containers.map((c) => c.id.slice(0, 12));
      const seen = new Set<string>();
      await until(() => {
        seen.add(dockerQuietly("exec", client, "wget", "-qO-", `http://${name}:8080/`));
        return seen.size === Math.min(replicas, 2);
      });
      for (const answer of seen) expect(hostnames).toContain(answer);
    }

    expect(JSON.parse(docker("network", "inspect", "--format", "{{json .Labels}}", created))).toMatchObject({
      "dockhand.managed-by": "dockhand",
    });
    const stored = (await registry().getService({ name })).service!;
    expect(stored.networks).toEqual([created, existing]);

    // Deleted, the service takes the network dockhand made for it along; the operator's stays.
    await registry().deleteService({ name, force: true });
    expect(dockerQuietly("network", "ls", "--filter", `name=^${created}$`, "--format", "{{.Name}}")).toBe("");
    expect(docker("network", "ls", "--filter", `name=^${existing}$`, "--format", "{{.Name}}")).toBe(existing);
  });

  it.each([
    ["service.networks[0]", Code.InvalidArgument, ["bridge"]],
    ["service.networks[0]", Code.InvalidArgument, ["none"]],
    ["service.networks[1]", Code.InvalidArgument, ["a-net", "a-net"]],
    ["service.networks[0]", Code.InvalidArgument, ["bad/name"]],
    ["service.networks[0]", Code.InvalidArgument, ["host", "a-net"]],
    ["service.networks[0]", Code.PermissionDenied, ["host"]],
    ["service.networks[0]", Code.PermissionDenied, ["container:web-1"]],
  ])("refuses %s (%s) for %j", async (field, code, networks) => {
    const name = fixture.service("dns-input");
    const err = await registry()
      .createService({ service: { name, image: testImage, command: ["sleep", "3600"], networks } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code });
    expect((err as ConnectError).rawMessage.startsWith(`${field}:`)).toBe(true);
  });
});
