import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, defaults, loadConfig, type Config } from "../../src/app/config.js";
import { checkHostAccess, type HostAccessPolicy } from "../../src/rpc/container-agent/host-access-policy.js";
import { normalizeCapability, normalizeSignal } from "../../src/model/linux-names.js";
import type { ContainerSpec } from "../../src/engine/types.js";

function load(yaml: string, env: NodeJS.ProcessEnv = {}): Config {
  const file = join(mkdtempSync(join(tmpdir(), "dockhand-cfg-")), "dockhand.yml");
  writeFileSync(file, yaml);
  const config = loadConfig(["--config", file], env);
  if (config === "help") throw new Error("unexpected help");
  return config;
}

const none: HostAccessPolicy = defaults;
const spec = (extra: Partial<ContainerSpec>): ContainerSpec => ({ image: "busybox:1", ...extra });
const access = { privileged: false, hostNetwork: false, addCapabilities: [] as string[] };

describe("host access config", () => {
  it("allows nothing by default", () => {
    expect(load("{}")).toMatchObject({
      allowPrivileged: false,
      allowHostMounts: false,
      allowHostNetwork: false,
      allowedCapabilities: [],
    });
  });

  it("reads YAML booleans and lists, and the environment over them", () => {
    const yaml =
      "dockhand:\n  allow_privileged: true\n  allow_host_mounts: yes\n  allowed_capabilities: [net_admin, CAP_SYS_TIME]\n";
    expect(load(yaml)).toMatchObject({
      allowPrivileged: true,
      allowHostMounts: true,
      allowedCapabilities: ["NET_ADMIN", "SYS_TIME"],
    });
    const env = {
      DOCKHAND_ALLOW_PRIVILEGED: "false",
      DOCKHAND_ALLOW_HOST_NETWORK: "1",
      DOCKHAND_ALLOWED_CAPABILITIES: "ALL",
    };
    expect(load(yaml, env)).toMatchObject({
      allowPrivileged: false,
      allowHostNetwork: true,
      allowedCapabilities: ["ALL"],
    });
  });

  it("refuses a value that is not a boolean or a capability, naming the key", () => {
    expect(() => load("", { DOCKHAND_ALLOW_HOST_MOUNTS: "maybe" })).toThrow(ConfigError);
    expect(() => load("", { DOCKHAND_ALLOW_HOST_MOUNTS: "maybe" })).toThrow("DOCKHAND_ALLOW_HOST_MOUNTS");
    expect(() => load("dockhand:\n  allowed_capabilities: NET_ADMIN,FLY\n")).toThrow("dockhand.allowed_capabilities");
  });
});

describe("checkHostAccess", () => {
  it("lets a spec without host power through under the default policy", () => {
    expect(() =>
      checkHostAccess(spec({ mounts: [{ type: "volume", source: "v", target: "/v", readOnly: false }] }), none),
    ).not.toThrow();
  });

  it("names the first refused option", () => {
    const bind = { type: "bind" as const, source: "/etc", target: "/h", readOnly: true };
    expect(() => checkHostAccess(spec({ mounts: [bind] }), none)).toThrow("spec.mounts[0].host_path");
    const caps = spec({ hostAccess: { ...access, addCapabilities: ["NET_ADMIN", "SYS_ADMIN"] } });
    expect(() => checkHostAccess(caps, { ...none, allowedCapabilities: ["NET_ADMIN"] })).toThrow("add_capabilities[1]");
    expect(() => checkHostAccess(caps, { ...none, allowedCapabilities: ["ALL"] })).not.toThrow();
  });
});

describe("Linux names", () => {
  it("normalizes signals by name or number and refuses anything else", () => {
    expect(["term", "SIGTERM", "Term", "15", "RTMIN+3", "sigrtmax-1"].map(normalizeSignal)).toEqual([
      "SIGTERM",
      "SIGTERM",
      "SIGTERM",
      "15",
      "SIGRTMIN+3",
      "SIGRTMAX-1",
    ]);
    expect(["", "0", "65", "SIGFOO", "RTMIN+16", "-9", "9 "].map(normalizeSignal)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      "9",
    ]);
  });

  it("normalizes capabilities with or without CAP_", () => {
    expect(["cap_net_admin", "NET_ADMIN", "all", "CAP_BPF"].map(normalizeCapability)).toEqual([
      "NET_ADMIN",
      "NET_ADMIN",
      "ALL",
      "BPF",
    ]);
    expect(normalizeCapability("MAKE_COFFEE")).toBeUndefined();
  });
});
