import { describe, expect, it } from "vitest";
import { createResourceMethods } from "../../src/rpc/container-agent/resources.js";
import { createFakeEngine } from "../support/fake-engine.js";

const ctx = { signal: new AbortController().signal } as never;
const request = <T>(fields: T) => fields as never;

describe("GetNetwork and DeleteNetwork name the network by name, with network kept as its alias", () => {
  it("finds and deletes a network by name, and by the released network field", async () => {
    const engine = createFakeEngine();
    const methods = createResourceMethods(engine) as Required<ReturnType<typeof createResourceMethods>>;
    await methods.createNetwork(request({ name: "alias-a", labels: {}, internal: false }), ctx);
    await methods.createNetwork(request({ name: "alias-b", labels: {}, internal: false }), ctx);
    const byName = await methods.getNetwork(request({ name: "alias-a", network: "" }), ctx);
    const byAlias = await methods.getNetwork(request({ name: "", network: "alias-a" }), ctx);
    expect(byName).toEqual(byAlias);
    expect(byName).toMatchObject({ network: { name: "alias-a" } });
    expect(await methods.deleteNetwork(request({ name: "alias-a", network: "" }), ctx)).toEqual({ deleted: true });
    expect(await methods.deleteNetwork(request({ name: "", network: "alias-b" }), ctx)).toEqual({ deleted: true });
  });

  it("refuses both, or neither, with INVALID_ARGUMENT naming the field, and deletes nothing", async () => {
    const engine = createFakeEngine();
    const methods = createResourceMethods(engine) as Required<ReturnType<typeof createResourceMethods>>;
    await methods.createNetwork(request({ name: "alias-c", labels: {}, internal: false }), ctx);
    await expect(async () =>
      methods.deleteNetwork(request({ name: "alias-c", network: "alias-c" }), ctx),
    ).rejects.toMatchObject({
      kind: "InvalidArgument",
      message: "network: is the older spelling of name: give one of the two, not both",
    });
    await expect(async () => methods.getNetwork(request({ name: "", network: "" }), ctx)).rejects.toMatchObject({
      kind: "InvalidArgument",
      message: "name: is required",
    });
    await expect(async () => methods.getNetwork(request({ name: "no/such", network: "" }), ctx)).rejects.toMatchObject({
      kind: "InvalidArgument",
      message: expect.stringMatching(/^name: /),
    });
    expect(await methods.getNetwork(request({ name: "alias-c", network: "" }), ctx)).toMatchObject({
      network: { name: "alias-c" },
    });
  });
});
