import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaults, loadConfig, settingsTable, usage, type Config } from "../../src/app/config.js";
import { settings } from "../../src/app/settings.js";

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "dockhand-cfg-")), "dockhand.yml");
  writeFileSync(file, text);
  return file;
}

function load(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const config = loadConfig(argv, env);
  if (config === "help") throw new Error("unexpected help");
  return config;
}

describe("config", () => {
  it("uses the defaults when nothing is given", () => {
    expect(load(["--config", yamlFile("{}")])).toEqual(defaults);
  });

  it("accepts the seed connector's YAML keys", () => {
    const file = yamlFile(
      "connector:\n  bind: 0.0.0.0\n  port: 7100\n  service_file: ./services.yml\ndocker:\n  url: tcp://127.0.0.1:2375\n",
    );
    expect(load(["--config", file])).toMatchObject({
      bind: "0.0.0.0",
      port: 7100,
      serviceFile: "./services.yml",
      dockerUrl: "tcp://127.0.0.1:2375",
    });
  });

  it("layers flags over environment over the file", () => {
    const file = yamlFile(
      "connector:\n  port: 7100\n  bind: 127.0.0.1\ndockhand:\n  data_dir: /from/file\n  max_replicas: 7\n",
    );
    const env = { DOCKHAND_PORT: "7200", DOCKHAND_DATA_DIR: "/from/env", DOCKER_HOST: "unix:///tmp/d.sock" };
    expect(load(["--config", file, "--port", "7300"], env)).toMatchObject({
      port: 7300,
      dataDir: "/from/env",
      dockerUrl: "unix:///tmp/d.sock",
      maxReplicas: 7,
    });
  });

  it.each<[string[], NodeJS.ProcessEnv, string | RegExp]>([
    [["--port", "70000"], {}, "--port: must be a whole number from 0 to 65535"],
    [["--port", "abc"], {}, "--port"],
    [[], { DOCKHAND_PORT: "-1" }, "environment DOCKHAND_PORT"],
    [["--bind", "not-an-ip"], {}, "--bind"],
    [["--log-level", "loud"], {}, "--log-level"],
    [["--docker-url", "ftp://x"], {}, "--docker-url"],
    [["--nope"], {}, "command line"],
    [["--config", "/does/not/exist.yml"], {}, "--config"],
  ])("stops on a bad value, naming the key: %j %j", (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(message);
  });

  it("names the YAML key of a bad value in the file", () => {
    expect(() => load(["--config", yamlFile("connector:\n  port: lots\n")])).toThrow(/dockhand\.yml: connector\.port/);
  });

  it("answers --help", () => {
    expect(loadConfig(["--help"], {})).toBe("help");
  });
});

describe("settings table", () => {
  it("docs/configuration.md's table is the one the declarations make (npm run docs:tables)", () => {
    expect(readFileSync("docs/configuration.md", "utf8")).toContain(settingsTable());
  });

  it("--help names every setting's flag or environment variable", () => {
    for (const [key, setting] of Object.entries(settings)) {
      const named = "flag" in setting && setting.flag ? `--${setting.flag}` : setting.env[0];
      expect(usage, key).toContain(named);
    }
  });

  it("boolean flags set their setting", () => {
    expect(load(["--config", yamlFile("{}"), "--insecure", "--metrics-auth"])).toMatchObject({
      insecure: true,
      metricsAuth: true,
    });
  });

  it("reads TLS, auth, CORS and limits from YAML", () => {
    const file = yamlFile(
      "dockhand:\n  tls: {cert: /c.pem, key: /k.pem, client_ca: /ca.pem}\n  auth: {tokens_file: /t.yml}\n  cors: {origins: ['https://a.example', 'http://127.0.0.1:8080']}\n  limits: {max_message_bytes: 2048}\n",
    );
    expect(load(["--config", file])).toMatchObject({
      tlsCert: "/c.pem",
      tlsKey: "/k.pem",
      tlsClientCa: "/ca.pem",
      authTokensFile: "/t.yml",
      corsOrigins: ["https://a.example", "http://127.0.0.1:8080"],
      maxMessageBytes: 2048,
    });
  });

  it("refuses an origin with a path, naming the key", () => {
    expect(() => load(["--config", yamlFile("{}"), "--cors-origins", "https://a.example/app"])).toThrow(
      /--cors-origins: "https:\/\/a.example\/app" is not an origin/,
    );
  });
});
