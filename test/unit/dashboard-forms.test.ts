import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { HealthStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { Protocol } from "../../gen/dockhand/v1/service_pb.js";
import { fieldOf, topField } from "../../dashboard/field-paths.js";
import { listedHealth } from "../../dashboard/format.js";
import { emptyForm, FormProblem, replicasFromForm, serviceFromForm, words } from "../../dashboard/service-form.js";
import { fromYaml, lineOf } from "../../dashboard/yaml-definition.js";

describe("the dashboard's create form", () => {
  it("splits a command as a shell does, quotes keeping spaces", () => {
    expect(words(`sh -c "echo hi; sleep 60"`)).toEqual(["sh", "-c", "echo hi; sleep 60"]);
    expect(words(`echo 'a  b' c`)).toEqual(["echo", "a  b", "c"]);
    expect(words("   ")).toEqual([]);
  });

  it("turns the fields into a definition: environment and labels by line, ports in docker's short form", () => {
    const service = serviceFromForm({
      ...emptyForm,
      name: " web ",
      image: "dockhand-test/busybox:1",
      environment: "A=1\n\nB=x=y\n",
      ports: "127.0.0.1:8080:80, 53/udp\n0:9000",
      labels: "team=core",
      networks: "front, back",
    });
    expect(service.name).toBe("web");
    expect(service.environment).toEqual({ A: "1", B: "x=y" });
    expect(service.labels).toEqual({ team: "core" });
    expect(service.networks).toEqual(["front", "back"]);
    expect(service.init).toBe(true);
    expect(service.ports.map((p) => [p.hostIp, p.hostPort, p.containerPort, p.protocol])).toEqual([
      ["127.0.0.1", 8080, 80, Protocol.TCP],
      ["", 0, 53, Protocol.UDP],
      ["", 0, 9000, Protocol.TCP],
    ]);
  });

  it("names the field of what it cannot read, and leaves the rest to the server", () => {
    const problem = (form: Partial<typeof emptyForm>) => {
      try {
        serviceFromForm({ ...emptyForm, ...form });
        return replicasFromForm({ ...emptyForm, ...form });
      } catch (err) {
        return err instanceof FormProblem ? `${err.field}: ${err.message}` : String(err);
      }
    };
    expect(problem({ environment: "A=1\nJUSTAKEY" })).toBe('environment: line 2: "JUSTAKEY" is not KEY=VALUE');
    expect(problem({ ports: "80:http" })).toMatch(/^ports: "80:http" is not/);
    expect(problem({ replicas: "1.5" })).toBe('replicas: "1.5" is not a whole number');
    // Out of range is the server's to say (it names the field): the form passes it on.
    expect(problem({ ports: "99999" })).toBe(1);
  });
});

describe("the dashboard's reading of answers", () => {
  it("takes the field a refusal names, for the codes that name one", () => {
    const refusal = (code: Code, message: string) => new ConnectError(message, code);
    expect(fieldOf(refusal(Code.InvalidArgument, 'service.environment["A=B"]: key must not contain'))).toBe(
      'service.environment["A=B"]',
    );
    expect(fieldOf(refusal(Code.FailedPrecondition, 'service.secrets[0].name: secret "x" does not exist'))).toBe(
      "service.secrets[0].name",
    );
    expect(fieldOf(refusal(Code.AlreadyExists, 'service "x" already exists'))).toBeUndefined();
    expect(fieldOf(refusal(Code.Unavailable, "engine: the engine cannot be reached"))).toBeUndefined();
    expect(topField("service.ports[0].host_ip")).toBe("ports");
    expect(topField("name")).toBe("name");
  });

  it("finds the YAML line of a field, and reads YAML with the proto's field names", () => {
    const yaml = "name: web\nimage: a:1\nports:\n  - container_port: 0\n";
    expect(lineOf(yaml, "service.ports[0].container_port")).toBe(3);
    expect(lineOf(yaml, "service.labels")).toBeUndefined();
    expect(fromYaml(yaml).ports[0]?.containerPort).toBe(0);
    expect(() => fromYaml("name: [")).toThrow(/^Not a valid definition: /);
  });

  it("reads a listed container's health from the engine's status text", () => {
    const listed = (status: string) => listedHealth({ health: HealthStatus.UNSPECIFIED, status });
    expect(listed("Up 3 minutes (healthy)")).toBe(HealthStatus.HEALTHY);
    expect(listed("Up 3 minutes (unhealthy)")).toBe(HealthStatus.UNHEALTHY);
    expect(listed("Up 2 seconds (health: starting)")).toBe(HealthStatus.STARTING);
    expect(listed("Up 3 minutes")).toBe(HealthStatus.UNSPECIFIED);
    expect(listedHealth({ health: HealthStatus.UNHEALTHY, status: "Up (healthy)" })).toBe(HealthStatus.UNHEALTHY);
  });
});
