import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSecretStore } from "../../src/registry/secret-store.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { createSecretHandlers } from "../../src/rpc/service-registry/secret-handlers.js";

async function handlers() {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-secret-text-"));
  const store = await createSecretStore(dir);
  const registry = await createServiceRegistry(createStateFile(dir));
  return {
    store,
    calls: createSecretHandlers({ store, registry }) as Required<ReturnType<typeof createSecretHandlers>>,
  };
}

// The handlers take the request message; these fields are all the secret calls read.
const request = <T>(fields: T) => fields as never;
const empty = new Uint8Array();

describe("a secret's or config's value as bytes or as text", () => {
  it("stores value_text as its UTF-8 bytes, the same as value would", async () => {
    const { store, calls } = await handlers();
    await calls.createSecret(
      request({ name: "token", value: empty, valueText: "my token! ünï", labels: {} }),
      {} as never,
    );
    expect(store.value("secret", "token", 1).toString("utf8")).toBe("my token! ünï");
    await calls.createConfig(
      request({ name: "app.conf", value: Buffer.from("a=1\n"), valueText: "", labels: {} }),
      {} as never,
    );
    await calls.updateConfig(request({ name: "app.conf", value: empty, valueText: "a=2\n" }), {} as never);
    expect(store.value("config", "app.conf", 2).toString("utf8")).toBe("a=2\n");
    await calls.updateSecret(request({ name: "token", value: Buffer.from([0, 255]), valueText: "" }), {} as never);
    expect([...store.value("secret", "token", 2)]).toEqual([0, 255]);
  });

  it("refuses both, or neither, with INVALID_ARGUMENT naming the field, and stores nothing", async () => {
    const { store, calls } = await handlers();
    const both = request({ name: "token", value: Buffer.from("x"), valueText: "x", labels: {} });
    await expect(async () => calls.createSecret(both, {} as never)).rejects.toMatchObject({
      kind: "InvalidArgument",
      message: "value_text: give either value (bytes, base64 in JSON) or value_text (text), not both",
      details: { field: "value_text" },
    });
    const neither = request({ name: "token", value: empty, valueText: "", labels: {} });
    await expect(async () => calls.createConfig(neither, {} as never)).rejects.toMatchObject({
      kind: "InvalidArgument",
      message: expect.stringMatching(/^value: is required .*value_text/),
    });
    const big = request({ name: "token", value: empty, valueText: "x".repeat(600 * 1024), labels: {} });
    await expect(async () => calls.createSecret(big, {} as never)).rejects.toMatchObject({
      message: expect.stringMatching(/^value_text: must be at most 512000 bytes/),
    });
    expect(store.list("secret")).toEqual([]);
    expect(store.list("config")).toEqual([]);
  });
});
