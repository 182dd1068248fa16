import { describe, expect, it } from "vitest";
import { run } from "../support/run.js";
import { useTestServer } from "../support/server-fixture.js";

/** curl as a newcomer types it, with -i: the status, the headers and the body it printed. */
async function curl(args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const res = await run("curl", ["-sS", "-i", ...args]);
  expect(res.stderr).toBe("");
  const split = res.stdout.indexOf("\r\n\r\n");
  const head = res.stdout.slice(0, split);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]),
    headers: head.toLowerCase(),
    body: res.stdout.slice(split + 4),
  };
}

describe("a request in a content type the procedure does not take", () => {
  const fixture = useTestServer();

  it("plain curl -d (form encoding) to a unary RPC: 415 saying which content types it takes, and nothing runs", async () => {
    const name = fixture.service("mtg");
    await fixture.createService(name);
    const url = `${fixture.server.url}/dockhand.v1.Scaler/Scale`;
    const res = await curl(["-d", JSON.stringify({ name, replicas: 1 }), url]);
    expect(res.status).toBe(415);
    expect(res.headers).toContain("accept-post: application/json, application/proto");
    expect(res.body).toContain("dockhand.v1.Scaler/Scale takes application/json or application/proto");
    expect(res.body).toContain('got content-type "application/x-www-form-urlencoded"');
    expect(res.body).toContain("-H 'content-type: application/json'");
    expect(await fixture.engine.containers.list({ all: true, labels: [`dockhand.service=${name}`] })).toEqual([]);
  });

  it("application/json to a server stream: 415 naming Connect's streaming content type and its envelope", async () => {
    const name = fixture.service("mtg");
    await fixture.createService(name);
    const res = await curl([
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify({ name }),
      `${fixture.server.url}/dockhand.v1.Scaler/WatchStatus`,
    ]);
    expect(res.status).toBe(415);
    expect(res.headers).toContain("accept-post: application/connect+json");
    expect(res.body).toMatch(/WatchStatus is a server stream: it takes application\/connect\+json/);
    expect(res.body).toContain("5-byte envelope");
    expect(res.body).toContain("docs/streams.md");
  });

  it("no content type at all, and Connect's streaming type on a unary RPC, are explained too", async () => {
    const none = await curl(["-X", "POST", `${fixture.server.url}/dockhand.v1.ContainerAgent/GetInfo`]);
    expect(none.status).toBe(415);
    expect(none.body).toContain("got no content-type");
    const streaming = await curl([
      "-H",
      "content-type: application/connect+json",
      "--data-binary",
      "{}",
      `${fixture.server.url}/dockhand.v1.ContainerAgent/GetInfo`,
    ]);
    expect(streaming.status).toBe(415);
    expect(streaming.body).toContain("GetInfo takes application/json");
  });

  it("leaves what it should not touch: accepted types, unknown paths and other methods answer as before", async () => {
    const ok = await curl([
      "-H",
      "content-type: application/json",
      "-d",
      "{}",
      `${fixture.server.url}/dockhand.v1.ServiceRegistry/ListServices`,
    ]);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual(expect.any(Object));
    const unknown = await curl(["-d", "{}", `${fixture.server.url}/dockhand.v1.Scaler/NoSuchMethod`]);
    expect(unknown.status).toBe(404);
    const get = await curl([`${fixture.server.url}/dockhand.v1.Scaler/GetStatus`]);
    expect(get.status).toBe(405);
  });
});
