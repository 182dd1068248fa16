import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ContainerSpecSchema } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { Protocol, ServiceSchema } from "../../gen/dockhand/v1/service_pb.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";
import { specFromProto } from "../../src/rpc/container-agent/container-create.js";
import { definitionFromProto } from "../../src/rpc/service-registry/service-mapping.js";

/** The field an InvalidArgument names, or a description of what was thrown instead. */
function refusedField(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (isDockhandError(err, "InvalidArgument")) return String(err.details?.field ?? err.message);
    return `not InvalidArgument: ${String(err)}`;
  }
  return "accepted";
}

const service = (fields: Record<string, unknown>) =>
  create(ServiceSchema, { name: "web", image: "busybox:1", ...fields });
const spec = (fields: Record<string, unknown>) => create(ContainerSpecSchema, { image: "busybox:1", ...fields });

describe("the fields a Service and a ContainerSpec share", () => {
  it("refuse a grace period of a few negative nanoseconds through both RPCs", () => {
    const negative = { stopGracePeriod: { nanos: -5 } };
    expect(refusedField(() => definitionFromProto(service(negative)))).toBe("service.stop_grace_period");
    expect(refusedField(() => specFromProto(spec(negative)))).toBe("spec.stop_grace_period");
  });

  it("refuse a grace period over an hour through both RPCs", () => {
    const long = { stopGracePeriod: { seconds: 7200n } };
    expect(refusedField(() => definitionFromProto(service(long)))).toBe("service.stop_grace_period");
    expect(refusedField(() => specFromProto(spec(long)))).toBe("spec.stop_grace_period");
  });

  it("map the same values the same way", () => {
    const fields = {
      command: ["sleep", "1"],
      environment: { A: "1" },
      ports: [{ containerPort: 80, protocol: Protocol.UDP, hostPort: 8080, hostIp: "127.0.0.1" }],
      labels: { tier: "web" },
      stopGracePeriod: { seconds: 1n, nanos: 1_000_000 },
      init: true,
      restartPolicy: { mode: 3, maxRetries: 2 },
      resources: { memoryBytes: 64n * 1024n * 1024n, cpuMillis: 500 },
    };
    const def = definitionFromProto(service(fields));
    const engineSpec = specFromProto(spec(fields));
    expect(engineSpec).toMatchObject({
      command: def.command,
      env: def.environment,
      ports: def.ports,
      labels: def.labels,
      init: def.init,
      restart: def.restart,
      memoryBytes: def.memoryBytes,
      nanoCpus: def.cpuMillis * 1_000_000,
      stopGraceSeconds: def.stopGraceSeconds,
    });
    expect(def.stopGraceSeconds).toBe(2);
    expect(def.restart).toEqual({ mode: "on-failure", maxRetries: 2 });
  });

  it("leave an unset grace period to the container, and default a service's to 10 s", () => {
    expect(specFromProto(spec({})).stopGraceSeconds).toBeUndefined();
    expect(definitionFromProto(service({})).stopGraceSeconds).toBe(10);
  });

  it("name the field of a bad value with each RPC's own prefix", () => {
    const bad = { ports: [{ containerPort: 0 }] };
    expect(refusedField(() => definitionFromProto(service(bad)))).toBe("service.ports[0].container_port");
    expect(refusedField(() => specFromProto(spec(bad)))).toBe("spec.ports[0].container_port");
  });
});
