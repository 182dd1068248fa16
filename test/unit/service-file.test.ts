import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyServiceFile, readServiceFile } from "../../src/registry/service-file.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";

/** A secret store with nothing in it: the example mounts no secret. */
const noSecrets = { find: () => undefined };

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "dockhand-sf-")), "services.yml");
  writeFileSync(path, text);
  return path;
}

const example = `
services:
  web:
    image: busybox:1
    command: [httpd, -f, -p, "8080"]
    environment: {GREETING: hello}
    ports:
      - {container_port: 8080, host_ip: 127.0.0.1}
    labels: {team: edge}
    stop_grace_period: 1m30s
    init: true
    restart_policy: {mode: on-failure, max_retries: 3}
    resources: {memory_bytes: 67108864, cpu_millis: 500}
    unhealthy_action: ignore
  worker:
    image: busybox:1
`;

describe("service file", () => {
  it("reads every field", async () => {
    const [web, worker] = await readServiceFile(file(example));
    expect(web).toEqual({
      name: "web",
      image: "busybox:1",
      command: ["httpd", "-f", "-p", "8080"],
      environment: { GREETING: "hello" },
      ports: [{ containerPort: 8080, protocol: "tcp", hostPort: 0, hostIp: "127.0.0.1" }],
      labels: { team: "edge" },
      stopGraceSeconds: 90,
      init: true,
      restart: { mode: "on-failure", maxRetries: 3 },
      memoryBytes: 67108864,
      cpuMillis: 500,
      replaceUnhealthy: false,
    });
    expect(worker).toMatchObject({ name: "worker", command: [], stopGraceSeconds: 10 });
  });

  it("creates missing services and updates those that differ, leaving equal ones alone", async () => {
    const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-sf-state-"))));
    expect(await applyServiceFile(registry, await readServiceFile(file(example)), noSecrets)).toEqual({
      created: ["web", "worker"],
      updated: [],
    });
    const changed = example.replace("GREETING: hello", "GREETING: bonjour");
    expect(await applyServiceFile(registry, await readServiceFile(file(changed)), noSecrets)).toEqual({
      created: [],
      updated: ["web"],
    });
    expect(registry.get("web").version).toBe(2);
    expect(registry.get("worker").version).toBe(1);
  });

  it.each([
    ["services:\n  web:\n    image: busybox\n", "services.web.image"],
    [
      "services:\n  web:\n    image: busybox:1\n    ports: [{container_port: 70000}]\n",
      "services.web.ports[0].container_port",
    ],
    ["services:\n  web:\n    image: busybox:1\n    colour: red\n", "services.web.colour: is not a known field"],
    ["services:\n  web:\n    image: busybox:1\n    stop_grace_period: soon\n", "services.web.stop_grace_period"],
    ["services: [\n", "service file"],
  ])("names the file and field of a bad entry", async (text, message) => {
    await expect(readServiceFile(file(text))).rejects.toThrow(message);
  });
});
