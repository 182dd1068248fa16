import { describe, expect, it } from "vitest";
import { definitionFromGenisys, definitionToGenisys } from "../../src/compat/genisys/genisys-definition.js";
import { parseNumber } from "../../src/compat/genisys/genisys-handlers.js";
import { parsePythonServiceFile } from "../../src/compat/genisys/python-service-file.js";
import { joinShellWords, splitShellWords } from "../../src/compat/genisys/shell-words.js";

describe("genisys command strings", () => {
  it("splits as a POSIX shell does, with no expansion", () => {
    expect(splitShellWords("java -jar /tmp/backend.jar")).toEqual(["java", "-jar", "/tmp/backend.jar"]);
    expect(splitShellWords(`sh -c 'echo "$HOME" *'`)).toEqual(["sh", "-c", 'echo "$HOME" *']);
    expect(splitShellWords(`echo "a \\"b\\" \\$c \\d" e\\ f ''`)).toEqual(["echo", 'a "b" $c \\d', "e f", ""]);
    expect(splitShellWords("  a\t\tb\\\nc  ")).toEqual(["a", "bc"]);
    expect(splitShellWords("$HOME ~ *.txt")).toEqual(["$HOME", "~", "*.txt"]);
    expect(splitShellWords("echo 'open")).toMatch(/unterminated/);
    expect(splitShellWords('echo "open')).toMatch(/unterminated/);
    expect(splitShellWords("echo \\")).toMatch(/backslash/);
  });

  it("joins words back into a line that splits into the same words", () => {
    for (const words of [
      ["sleep", "3600"],
      ["sh", "-c", "echo 'hi' && exit 3"],
      ["a b", "", "$x", "it's"],
    ]) {
      expect(splitShellWords(joinShellWords(words))).toEqual(words);
    }
  });
});

describe("genisys definitions", () => {
  const body = {
    name: "ignored",
    image: "busybox:1",
    command: "httpd -f -p 8080",
    environment: { A: "x", N: 1, B: true },
    ports: ["8080", "53/udp", 9000],
  };

  it("maps the seed's shape to dockhand's and back", () => {
    const def = definitionFromGenisys("web", body, { publishHostIp: "127.0.0.1" });
    expect(def).toMatchObject({
      name: "web",
      image: "busybox:1",
      command: ["httpd", "-f", "-p", "8080"],
      environment: { A: "x", N: "1", B: "True" },
      init: true,
      ports: [
        { containerPort: 8080, protocol: "tcp", hostPort: 0, hostIp: "127.0.0.1" },
        { containerPort: 53, protocol: "udp", hostPort: 0, hostIp: "127.0.0.1" },
        { containerPort: 9000, protocol: "tcp", hostPort: 0, hostIp: "127.0.0.1" },
      ],
    });
    expect(definitionToGenisys(def)).toEqual({
      name: "web",
      image: "busybox:1",
      command: "httpd -f -p 8080",
      environment: { A: "x", N: "1", B: "True" },
      ports: ["8080", "53/udp", "9000"],
    });
    expect(
      definitionToGenisys(
        definitionFromGenisys("bare", { image: "busybox:1", command: null }, { publishHostIp: "127.0.0.1" }),
      ),
    ).toEqual({
      name: "bare",
      image: "busybox:1",
      command: null,
      environment: null,
      ports: null,
    });
  });

  it("keeps what genisys cannot say when it overwrites a definition", () => {
    const current = {
      ...definitionFromGenisys("web", body, { publishHostIp: "127.0.0.1" }),
      labels: { team: "edge" },
      init: false,
    };
    current.ports[0] = { ...current.ports[0], hostPort: 18080 };
    const next = definitionFromGenisys(
      "web",
      { image: "busybox:2", ports: ["8080"] },
      { current, publishHostIp: "127.0.0.1" },
    );
    expect(next).toMatchObject({
      labels: { team: "edge" },
      init: false,
      image: "busybox:2",
      ports: [{ containerPort: 8080, hostPort: 18080 }],
    });
  });

  it.each([
    [{ image: 5 }, "image"],
    [{ image: "busybox" }, "tag"],
    [{ image: "busybox:1", command: 5 }, "command"],
    [{ image: "busybox:1", command: "echo 'x" }, "unterminated"],
    [{ image: "busybox:1", environment: ["A=1"] }, "environment"],
    [{ image: "busybox:1", environment: { A: null } }, "environment"],
    [{ image: "busybox:1", ports: "8080" }, "ports"],
    [{ image: "busybox:1", ports: ["http"] }, "ports[0]"],
    [{ image: "busybox:1", ports: ["70000"] }, "container_port"],
  ])("refuses %j naming the problem", (bad, text) => {
    expect(() => definitionFromGenisys("web", bad, { publishHostIp: "127.0.0.1" })).toThrow(text);
  });

  it("reads number as the seed's client sends it and refuses the rest", () => {
    expect(parseNumber(3)).toBe(3);
    expect(parseNumber("3")).toBe(3);
    expect(parseNumber(" 0 ")).toBe(0);
    for (const bad of [null, [3], { n: 3 }, -1, "-1", "three", 1.5, true, ""])
      expect(parseNumber(bad)).toMatch(/^Invalid value for number parameter\./);
  });
});

describe("genisys services.py", () => {
  const sample = `# services known at start-up
skynet_backend = {'name': 'skynet_backend', 'image': 'skynet-backend:latest', 'command': 'java -jar /tmp/backend.jar',
                  'environment': {'SERVICE_NAME': 'skynet_backend', 'SERVICE_8081_IGNORE': 1,},  # trailing commas
                  'ports': ['8080']}

helloworld = {
    "name": "hello",
    "image": "tutum/hello-world:latest",
    "command": None,
    'environment': {"GREETING": 'it\\'s "here"', "ON": True},
    "ports": [],
}
`;

  it("reads top-level dict literals keyed by their variable name, without executing anything", () => {
    const defs = parsePythonServiceFile(sample, "services.py");
    expect(defs.map((d) => d.name)).toEqual(["skynet_backend", "helloworld"]);
    expect(defs[0]).toMatchObject({
      image: "skynet-backend:latest",
      command: ["java", "-jar", "/tmp/backend.jar"],
      environment: { SERVICE_NAME: "skynet_backend", SERVICE_8081_IGNORE: "1" },
      ports: [{ containerPort: 8080 }],
    });
    expect(defs[1]).toMatchObject({ command: [], environment: { GREETING: `it's "here"`, ON: "True" }, ports: [] });
  });

  it.each([
    ["import os\n", 1, "NAME = {"],
    ["a = {'image': 'x:1'}\nb = os.environ\n", 2, "literal"],
    ["a = {'image': 'x:1'}\n\nb = {'image': open('/etc/passwd').read()}\n", 3, "literal"],
    ["a = ('x', 'y')\n", 1, "not a literal"],
    ["a = 5\n", 1, "dict literal"],
    ["a = {'image': 'x:1'} + {}\n", 1, "end of the statement"],
    ["a = {'image': 'x:1', 'volumes': []}\n", 1, "volumes"],
    ["Web = {'image': 'x:1'}\n", 1, "valid service name"],
    ["a = {'image': 'x:1'}\na = {'image': 'x:2'}\n", 2, "twice"],
    ["a = {\n  'image': 'x:1',\n  'ports': [f'{1}'],\n}\n", 3, "f-strings"],
    ["a = {'image': b'x:1'}\n", 1, "byte strings"],
    ["a = {'image': 'x:1'\n", 2, "end of the file"],
  ])("refuses %j at line %i", (text, line, problem) => {
    expect(() => parsePythonServiceFile(text, "services.py")).toThrow(
      new RegExp(`^services\\.py line ${line}: .*${problem.replace(/[{(]/g, "\\$&")}`),
    );
  });
});
