import { describe, expect, it } from "vitest";
import { parseClientArgs, UsageError } from "../../src/cli/client-args.js";
import { parseCopy, parseCopyEnd } from "../../src/cli/copy-paths.js";

const env = {};

describe("dockhand exec's command line", () => {
  it("reads -i, -t and -it, the container, and everything after -- as the command, its own flags too", () => {
    expect(parseClientArgs(["exec", "-it", "web", "--", "sh", "-c", "ls -l"], env)).toMatchObject({
      command: "exec",
      interactive: true,
      tty: true,
      container: "web",
      argv: ["sh", "-c", "ls -l"],
    });
    expect(parseClientArgs(["exec", "web", "ls", "-la", "/"], env)).toMatchObject({
      interactive: false,
      tty: false,
      argv: ["ls", "-la", "/"],
    });
  });

  it("takes -e KEY=VALUE (repeated), -w, -u and the connection flags, flags over the environment", () => {
    const args = parseClientArgs(
      ["exec", "-e", "A=1", "--env=B=x=y", "-w", "/srv", "-u", "1000:1000", "--url", "https://h:7051", "web", "env"],
      { DOCKHAND_URL: "http://other:1", DOCKHAND_TOKEN_FILE: "/t" },
    );
    expect(args).toMatchObject({
      environment: { A: "1", B: "x=y" },
      workingDir: "/srv",
      user: "1000:1000",
      url: "https://h:7051",
      tokenFile: "/t",
    });
  });

  it("connects to DOCKHAND_URL, else 127.0.0.1:7051; the CA from --cacert or DOCKHAND_CA_FILE", () => {
    expect(parseClientArgs(["exec", "c", "true"], {}).url).toBe("http://127.0.0.1:7051");
    expect(parseClientArgs(["exec", "c", "true"], { DOCKHAND_URL: "https://x:1" }).url).toBe("https://x:1");
    expect(parseClientArgs(["exec", "--cacert", "ca.pem", "c", "true"], { DOCKHAND_CA_FILE: "e.pem" }).caFile).toBe(
      "ca.pem",
    );
  });

  it("refuses what it cannot run, saying what is wrong", () => {
    const refused = (argv: string[], text: string, e: NodeJS.ProcessEnv = env) =>
      expect(() => parseClientArgs(argv, e)).toThrowError(new RegExp(text));
    refused(["exec"], "name the container");
    refused(["exec", "web"], "give the command");
    refused(["exec", "-x", "web", "sh"], "unknown option -x");
    refused(["exec", "-e", "NOEQUALS", "web", "sh"], "KEY=VALUE");
    refused(["exec", "-w"], "-w needs a value");
    refused(["exec", "web", "sh"], "--url", { DOCKHAND_URL: "127.0.0.1:7051" });
    refused(["exec", "--cert", "c.pem", "web", "sh"], "--cert and --key");
    refused(["exec", "web", "sh"], "--cert and --key", { DOCKHAND_KEY_FILE: "k.pem" });
    refused(["attach"], "exactly one container");
    refused(["cp", "a"], "a source and a destination");
    expect(() => parseClientArgs(["frobnicate"], env)).toThrow(UsageError);
  });

  it("reads attach with and without --no-stdin", () => {
    expect(parseClientArgs(["attach", "web"], env)).toMatchObject({ container: "web", stdin: true });
    expect(parseClientArgs(["attach", "--no-stdin", "web"], env)).toMatchObject({ stdin: false });
  });
});

describe("dockhand cp's paths, as docker cp reads them", () => {
  it("CONTAINER:PATH is a container's path; a relative one is taken from its root", () => {
    expect(parseCopyEnd("web:/etc/hosts")).toEqual({ container: "web", path: "/etc/hosts" });
    expect(parseCopyEnd("web:etc")).toEqual({ container: "web", path: "/etc" });
  });

  it("a path that starts with / or . is local even with a colon; so is one without a colon, and -", () => {
    expect(parseCopyEnd("./a:b")).toEqual({ local: "./a:b" });
    expect(parseCopyEnd("/x:y")).toEqual({ local: "/x:y" });
    expect(parseCopyEnd("notes.txt")).toEqual({ local: "notes.txt" });
    expect(parseCopyEnd("-")).toEqual({ local: "-" });
  });

  it("needs exactly one end in a container, with a name and a path", () => {
    expect(parseCopy("web:/a", "b")).toEqual({ direction: "out", container: "web", from: "/a", to: "b" });
    expect(parseCopy("-", "web:/a")).toEqual({ direction: "in", from: "-", container: "web", to: "/a" });
    expect(() => parseCopy("a", "b")).toThrow(/one of the two paths must be CONTAINER:PATH/);
    expect(() => parseCopy("w1:/a", "w2:/b")).toThrow(/from one container to another/);
    expect(() => parseCopyEnd(":x")).toThrow(/names no container/);
    expect(() => parseCopyEnd("web:")).toThrow(/names no path/);
  });
});
