import diagnostics from "node:diagnostics_channel";
import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeHost, parseIp } from "../../src/rpc/container-agent/ip-address.js";
import { createLoadUrlPolicy, forbiddenReason } from "../../src/rpc/container-agent/load-url-policy.js";
import { policedGet } from "../../src/rpc/container-agent/policed-get.js";

/** Every spelling of the metadata address a URL or a resolver can carry. */
const metadataSpellings = [
  "http://169.254.169.254/",
  "http://2852039166/",
  "http://0xa9fea9fe/",
  "http://0xA9.0xFE.0xA9.0xFE/",
  "http://0251.0376.0251.0376/",
  "http://169.254.43518/",
  "http://[::ffff:169.254.169.254]/",
  "http://[::ffff:a9fe:a9fe]/",
  "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
  "http://[64:ff9b::a9fe:a9fe]/",
  "http://[2002:a9fe:a9fe::1]/",
  "http://[fe80::1]/",
  "http://[fd00:ec2::254]/",
  "http://169.254.0.1:8080/images/x/download",
];

describe("LoadImage URL policy", () => {
  const policy = createLoadUrlPolicy({ resolve: () => Promise.reject(new Error("a literal must not be resolved")) });

  it.each(metadataSpellings)("refuses %s as PermissionDenied without resolving it", async (url) => {
    await expect(policy.addressFor(new URL(url), "url")).rejects.toMatchObject({
      kind: "PermissionDenied",
      details: { field: "url" },
    });
  });

  it("normalizes IPv4 spellings and finds IPv4 inside IPv6", () => {
    expect(normalizeHost("2852039166")).toBe("169.254.169.254");
    expect(normalizeHost("0xa9fea9fe")).toBe("169.254.169.254");
    expect(forbiddenReason(parseIp("::ffff:169.254.169.254")!)).toContain("169.254.169.254");
    expect(forbiddenReason(parseIp("::169.254.1.1")!)).toBeDefined();
    expect(forbiddenReason(parseIp("fe80::1%eth0")!)).toBeDefined();
    expect(forbiddenReason(parseIp("febf:ffff::1")!)).toBeDefined();
    expect(forbiddenReason(parseIp("fec0::1")!)).toBeUndefined();
    expect(forbiddenReason(parseIp("169.253.255.255")!)).toBeUndefined();
    expect(forbiddenReason(parseIp("127.0.0.1")!)).toBeUndefined();
    expect(forbiddenReason(parseIp("::1")!)).toBeUndefined();
  });

  it("checks every address a name resolves to and answers the checked one", async () => {
    const rebinding = createLoadUrlPolicy({ resolve: async () => ["127.0.0.1", "169.254.169.254"] });
    await expect(rebinding.addressFor(new URL("http://images.test/x"), "url")).rejects.toMatchObject({
      kind: "PermissionDenied",
    });
    const mapped = createLoadUrlPolicy({ resolve: async () => ["::ffff:169.254.169.254"] });
    await expect(mapped.addressFor(new URL("http://images.test/x"), "url")).rejects.toMatchObject({
      kind: "PermissionDenied",
    });
    const fine = createLoadUrlPolicy({ resolve: async () => ["127.0.0.1", "::1"] });
    expect(await fine.addressFor(new URL("http://images.test/x"), "url")).toBe("127.0.0.1");
  });

  it("narrows to the allow-list of names and CIDRs, but never allows a forbidden address", async () => {
    const resolve = async (name: string) => (name === "images.test" ? ["10.1.2.3"] : ["192.168.1.9"]);
    const listed = createLoadUrlPolicy({ allowedHosts: ["images.test", "127.0.0.0/8", "169.254.0.0/16"], resolve });
    expect(await listed.addressFor(new URL("http://images.test/x"), "url")).toBe("10.1.2.3");
    expect(await listed.addressFor(new URL("http://127.0.0.1:5000/x"), "url")).toBe("127.0.0.1");
    await expect(listed.addressFor(new URL("http://other.test/x"), "url")).rejects.toThrow(/load_allowed_hosts/);
    await expect(listed.addressFor(new URL("http://10.1.2.3/x"), "url")).rejects.toMatchObject({
      kind: "PermissionDenied",
    });
    await expect(listed.addressFor(new URL("http://169.254.169.254/x"), "url")).rejects.toMatchObject({
      kind: "PermissionDenied",
    });
    expect(() => createLoadUrlPolicy({ allowedHosts: ["not a host/"] })).toThrow(/not a host name/);
  });
});

describe("policed GET", () => {
  let server: http.Server;
  let base = "";
  let accepted = 0;
  const redirectTo = new Map<string, string>();
  /** The remote address of every TCP connection this process opens. */
  const attempts: string[] = [];
  const onSocket = ({ socket }: { socket: net.Socket }) => {
    socket.on("connectionAttempt", (ip: string) => attempts.push(ip));
  };

  beforeAll(async () => {
    diagnostics.subscribe("net.client.socket", onSocket as (message: unknown) => void);
    server = http.createServer((req, res) => {
      const target = redirectTo.get(req.url ?? "");
      if (target) res.writeHead(302, { location: target }).end();
      else res.writeHead(200, { "content-type": "text/plain" }).end("payload");
    });
    server.on("connection", () => accepted++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => {
    diagnostics.unsubscribe("net.client.socket", onSocket as (message: unknown) => void);
    server.close();
  });

  it("follows a redirect it allows and reads the body", async () => {
    redirectTo.set("/hop", `${base}/final`);
    const res = await policedGet(`${base}/hop`, { policy: createLoadUrlPolicy() });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/final`);
    let text = "";
    for await (const chunk of res.body) text += Buffer.from(chunk).toString();
    expect(text).toBe("payload");
  });

  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00:ec2::254]/",
  ])("refuses a redirect to %s before connecting to it", async (target) => {
    redirectTo.set("/evil", target);
    attempts.length = 0;
    const before = accepted;
    await expect(policedGet(`${base}/evil`, { policy: createLoadUrlPolicy() })).rejects.toMatchObject({
      kind: "PermissionDenied",
    });
    // One connection, to the local server; none anywhere else.
    expect(accepted - before).toBe(1);
    expect(attempts).toEqual(["127.0.0.1"]);
  });

  it("refuses a redirect to another scheme and a redirect loop as FailedPrecondition", async () => {
    redirectTo.set("/file", "file:///etc/passwd");
    await expect(policedGet(`${base}/file`, { policy: createLoadUrlPolicy() })).rejects.toMatchObject({
      kind: "FailedPrecondition",
    });
    redirectTo.set("/loop", "/loop");
    await expect(policedGet(`${base}/loop`, { policy: createLoadUrlPolicy() })).rejects.toMatchObject({
      kind: "FailedPrecondition",
    });
  });

  it("connects to the address the policy checked, not to a fresh resolution of the name", async () => {
    let resolutions = 0;
    const policy = createLoadUrlPolicy({ resolve: async () => (resolutions++, ["127.0.0.1"]) });
    attempts.length = 0;
    const port = new URL(base).port;
    const res = await policedGet(`http://images.invalid:${port}/final`, { policy });
    expect(res.status).toBe(200);
    expect(resolutions).toBe(1);
    expect(attempts).toEqual(["127.0.0.1"]);
  });
});
