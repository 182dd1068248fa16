import { afterAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { requireEngine, testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { removeDataDir, startTestServer, uniqueServiceName, type TestServer } from "../support/test-server.js";

async function send(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** A genisys client storing `""`, `{}` and `[]` gets them back, across a restart of dockhand, and null stays null. */
describe("genisys definitions give back each key as stored", () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers) {
      await server.close();
      removeDataDir(server.dataDir);
    }
  });

  it('keeps [], {} and "" apart from null through POST, PUT, GET and a restart', async () => {
    const engine = await requireEngine();
    const first = await startTestServer(engine);
    servers.push(first);
    const empty = uniqueServiceName("gempty");
    const nulls = uniqueServiceName("gnull");
    const image = testImage;
    const stored = { name: empty, image, command: "", environment: {}, ports: [] };
    expect((await send(first.url, "POST", "/service", stored)).status).toBe(200);
    expect((await send(first.url, "POST", "/service", { name: nulls, image, ports: null })).status).toBe(200);
    expect(JSON.parse((await send(first.url, "GET", `/service/${empty}`)).text)).toEqual(stored);
    expect(JSON.parse((await send(first.url, "GET", `/service/${nulls}`)).text)).toEqual({
      name: nulls,
      image,
      command: null,
      environment: null,
      ports: null,
    });

    // A PUT replaces what was stored: ports given, environment now absent (null), command still "".
    expect((await send(first.url, "PUT", `/service/${empty}`, { image, command: "", ports: ["8080"] })).status).toBe(
      200,
    );
    const afterPut = { name: empty, image, command: "", environment: null, ports: ["8080"] };
    expect(JSON.parse((await send(first.url, "GET", `/service/${empty}`)).text)).toEqual(afterPut);
    expect((await send(first.url, "PUT", `/service/${empty}`, { image, command: "", ports: [] })).status).toBe(200);
    const settled = { ...afterPut, ports: [] };

    // dockhand restarts on the same data directory: the forms are still there, in the listing too.
    const dataDir = first.dataDir;
    await first.close();
    servers.splice(0, 1);
    const second = await startTestServer(engine, { dataDir });
    servers.push(second);
    const listing = JSON.parse((await send(second.url, "GET", "/service")).text) as Record<string, unknown>;
    expect(listing[empty]).toEqual(settled);
    expect(listing[nulls]).toMatchObject({ ports: null });

    // Deleted and made again through the typed API: its empty keys are null again, not the old forms.
    const registry = clientFor(ServiceRegistry, second.url);
    await registry.deleteService({ name: empty });
    await registry.createService({ service: { name: empty, image } });
    expect(JSON.parse((await send(second.url, "GET", `/service/${empty}`)).text)).toEqual({
      name: empty,
      image,
      command: null,
      environment: null,
      ports: null,
    });
  });
});
