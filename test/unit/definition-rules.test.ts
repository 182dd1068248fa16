import { describe, expect, it } from "vitest";
import { checkDefinition } from "../../src/model/definition-rules.js";
import { definitionWithDefaults, type ServiceDefinition } from "../../src/model/service-definition.js";
import { DockhandError } from "../../src/model/dockhand-error.js";

const valid = definitionWithDefaults({ name: "web", image: "busybox:1" });

function problem(change: Partial<ServiceDefinition>): DockhandError | undefined {
  try {
    checkDefinition({ ...valid, ...change }, "service.");
    return undefined;
  } catch (err) {
    return err as DockhandError;
  }
}

describe("checkDefinition", () => {
  it("accepts a minimal definition", () => {
    expect(problem({})).toBeUndefined();
  });

  it.each<[string, Partial<ServiceDefinition>, string]>([
    ["missing name", { name: "" }, "service.name: is required"],
    ["invalid name", { name: "Web_App!" }, "service.name:"],
    ["name too long", { name: "a".repeat(64) }, "service.name:"],
    ["missing image", { image: "" }, "service.image: is required"],
    ["image without tag", { image: "busybox" }, "service.image:"],
    [
      "container port 0",
      { ports: [{ containerPort: 0, protocol: "tcp", hostPort: 0, hostIp: "" }] },
      "service.ports[0].container_port",
    ],
    [
      "container port 70000",
      { ports: [{ containerPort: 70000, protocol: "tcp", hostPort: 0, hostIp: "" }] },
      "service.ports[0].container_port",
    ],
    [
      "host port 70000",
      { ports: [{ containerPort: 80, protocol: "tcp", hostPort: 70000, hostIp: "" }] },
      "service.ports[0].host_port",
    ],
    [
      "bad host ip",
      { ports: [{ containerPort: 80, protocol: "tcp", hostPort: 0, hostIp: "localhost" }] },
      "service.ports[0].host_ip",
    ],
    ["env key with =", { environment: { "A=B": "c" } }, `service.environment["A=B"]: key must not contain '='`],
    ["empty env key", { environment: { "": "c" } }, "service.environment: keys must not be empty"],
    ["reserved label", { labels: { "dockhand.service": "x" } }, "reserved"],
    ["negative grace", { stopGraceSeconds: -1 }, "service.stop_grace_period"],
    ["tiny memory", { memoryBytes: 1024 }, "service.resources.memory_bytes"],
    [
      "retries without on-failure",
      { restart: { mode: "always", maxRetries: 3 } },
      "service.restart_policy.max_retries",
    ],
  ])("refuses %s with a message naming the field", (_what, change, message) => {
    const err = problem(change);
    expect(err).toBeInstanceOf(DockhandError);
    expect(err?.kind).toBe("InvalidArgument");
    expect(err?.message).toContain(message);
  });
});
