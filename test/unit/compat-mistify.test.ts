import { describe, expect, it } from "vitest";
import { createImageServiceAddress } from "../../src/compat/mistify/image-service-address.js";
import { decodeRpcRequest, encodeRpcReply, RpcTransportError } from "../../src/compat/mistify/json-rpc-envelope.js";
import { decodeGuest, withState } from "../../src/compat/mistify/mistify-guest.js";
import { retagImageArchive } from "../../src/compat/mistify/retag-image-archive.js";

function transportError(body: string): { status: number; message: string } {
  try {
    decodeRpcRequest(body);
  } catch (err) {
    if (err instanceof RpcTransportError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error("decoded");
}

describe("gorilla/rpc v1 envelope", () => {
  it("keeps the id's exact text, whatever its JSON type, and reads only the first value", () => {
    expect(decodeRpcRequest('{"method":"MDocker.GetInfo","params":[{}],"id":5577006791947779410}')).toEqual({
      method: "MDocker.GetInfo",
      param: {},
      rawId: "5577006791947779410",
    });
    expect(decodeRpcRequest('{"id": {"a": [1, "}"]}, "params": [], "method": "MDocker.GetInfo"} trailing').rawId).toBe(
      '{"a": [1, "}"]}',
    );
    expect(decodeRpcRequest('{"ID":"x\\"y","Params":[1,2],"METHOD":"MDocker.GetInfo"}')).toEqual({
      method: "MDocker.GetInfo",
      param: 1,
      rawId: '"x\\"y"',
    });
    expect(decodeRpcRequest('{"method":"MDocker.GetInfo","params":[],"id":null}')).toEqual({
      method: "MDocker.GetInfo",
      param: undefined,
      rawId: undefined,
    });
    expect(decodeRpcRequest('{"method":"MDocker.GetInfo","params":[{}]}').rawId).toBeUndefined();
  });

  it("answers transport errors as gorilla did", () => {
    expect(transportError("")).toEqual({ status: 400, message: "EOF" });
    expect(transportError("  x")).toEqual({
      status: 400,
      message: "invalid character 'x' looking for beginning of value",
    });
    expect(transportError('{"method":')).toEqual({ status: 400, message: "unexpected EOF" });
    expect(transportError('{"method":"MDocker.GetInfo"}')).toEqual({
      status: 400,
      message: "rpc: method request ill-formed: missing params field",
    });
    expect(transportError('{"method":"MDocker.GetInfo","params":"x"}').message).toBe(
      "json: cannot unmarshal string into Go value of type [1]interface {}",
    );
    expect(transportError('{"method":5,"params":[]}').message).toBe(
      "json: cannot unmarshal number into Go value of type string",
    );
    expect(transportError("[1]").message).toMatch(/cannot unmarshal array/);
  });

  it("encodes a reply on one line with the id as sent", () => {
    expect(encodeRpcReply("5577006791947779410", { a: 1 }, undefined)).toBe(
      '{"result":{"a":1},"error":null,"id":5577006791947779410}\n',
    );
    expect(encodeRpcReply('"x"', { a: 1 }, "no such image")).toBe('{"result":null,"error":"no such image","id":"x"}\n');
  });
});

describe("mistify guest", () => {
  it("re-encodes as Go did: struct order, omitempty, unknown keys dropped, any key case", () => {
    const guest = decodeGuest({
      METADATA: {},
      ID: "g1",
      extra: true,
      image: "img",
      nics: [{ network: "br0", MAC: "02:00:00:00:00:01", junk: 1 }],
      memory: 0,
      cpu: 2,
      disks: [{ size: 10 }],
    })!;
    expect(JSON.stringify(withState(guest, "running"))).toBe(
      JSON.stringify({
        id: "g1",
        image: "img",
        nics: [
          { network: "br0", model: "", mac: "02:00:00:00:00:01", address: "", netmask: "", gateway: "", vlans: null },
        ],
        disks: [{ bus: "", device: "", size: 10, volume: "", image: "", source: "" }],
        state: "running",
        cpu: 2,
      }),
    );
    expect(decodeGuest(null)).toBeUndefined();
    expect(decodeGuest({})).toEqual({ id: "" });
  });

  it.each([
    [{ id: 5 }, "cannot unmarshal number into Go value of type string"],
    [{ id: "g", memory: "1" }, "cannot unmarshal string into Go value of type uint"],
    [{ id: "g", memory: 1.5 }, "cannot unmarshal number 1.5 into Go value of type uint"],
    [{ id: "g", nics: {} }, "cannot unmarshal object into Go value of type []client.Nic"],
    [{ id: "g", nics: [{ vlans: ["10"] }] }, "cannot unmarshal string into Go value of type int"],
    [{ id: "g", metadata: { a: 1 } }, "cannot unmarshal number into Go value of type string"],
    ["g", "cannot unmarshal string into Go value of type client.Guest"],
  ])("refuses %j with a Go-style 400", (raw, message) => {
    expect(() => decodeGuest(raw)).toThrow(message);
  });
});

/** A tar of `files`, as `docker save` lays one out (ustar headers, 512-byte blocks, two zero blocks). */
function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0, "utf8");
    header.write("0000644\0", 100);
    header.write(`${Buffer.byteLength(content).toString(8).padStart(11, "0")}\0`, 124);
    header.write("ustar\u000000", 257, "binary");
    header.fill(0x20, 148, 156);
    header.write(
      `${header
        .reduce((n, b) => n + b, 0)
        .toString(8)
        .padStart(6, "0")}\0 `,
      148,
    );
    const body = Buffer.from(content);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

function untar(archive: Buffer): Record<string, string> {
  const files: Record<string, string> = {};
  for (let at = 0; at + 512 <= archive.length;) {
    const header = archive.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("ascii"), 8);
    const stored = parseInt(header.subarray(148, 154).toString("ascii"), 8);
    const check = Buffer.from(header)
      .fill(0x20, 148, 156)
      .reduce((n, b) => n + b, 0);
    expect(stored).toBe(check);
    files[name] = archive.subarray(at + 512, at + 512 + size).toString("utf8");
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return Buffer.concat(out);
}

async function* inPieces(buffer: Buffer, size: number) {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

describe("image archive retagging", () => {
  const layer = "x".repeat(1500);
  const archive = tar({
    "abc/layer.tar": layer,
    "manifest.json": JSON.stringify([{ Config: "abc.json", RepoTags: ["old:1"], Layers: ["abc/layer.tar"] }]),
    repositories: JSON.stringify({ old: { "1": "abc" } }),
  });

  it.each([1, 100, 512, 100_000])(
    "names the image <id>:latest in repositories and manifest.json (chunks of %i bytes)",
    async (piece) => {
      const files = untar(
        await collect(retagImageArchive(inPieces(archive, piece), "9c1f0a54-1c1e-4c43-9a0c-5bd2a3c1e7aa")),
      );
      expect(files["abc/layer.tar"]).toBe(layer);
      expect(JSON.parse(files["manifest.json"])).toEqual([
        { Config: "abc.json", RepoTags: ["9c1f0a54-1c1e-4c43-9a0c-5bd2a3c1e7aa:latest"], Layers: ["abc/layer.tar"] },
      ]);
      expect(JSON.parse(files.repositories)).toEqual({ "9c1f0a54-1c1e-4c43-9a0c-5bd2a3c1e7aa": { latest: "abc" } });
    },
  );

  it("refuses an archive of several images or a cut one", async () => {
    const two = tar({ repositories: JSON.stringify({ a: { "1": "x" }, b: { "1": "y" } }) });
    await expect(collect(retagImageArchive(inPieces(two, 64), "id"))).rejects.toMatchObject({
      kind: "InvalidArgument",
    });
    await expect(collect(retagImageArchive(inPieces(archive.subarray(0, 1000), 64), "id"))).rejects.toThrow(
      /cut short/,
    );
  });
});

describe("image service address", () => {
  it("uses HOST:PORT as given, and looks a port up by SRV once when there is none", async () => {
    expect(await createImageServiceAddress("127.0.0.1:8080", () => Promise.reject(new Error("no lookup")))()).toBe(
      "127.0.0.1:8080",
    );
    expect(await createImageServiceAddress("[::1]:8080", () => Promise.reject(new Error("no lookup")))()).toBe(
      "[::1]:8080",
    );
    const asked: string[] = [];
    const address = createImageServiceAddress(
      "images.example",
      async (name) => (asked.push(name), [{ port: 9999 }, { port: 1 }]),
    );
    expect(await address()).toBe("images.example:9999");
    expect(await address()).toBe("images.example:9999");
    expect(asked).toEqual(["images.example"]);
    let fail = true;
    const flaky = createImageServiceAddress("images.example", async () => (fail ? [] : [{ port: 7 }]));
    await expect(flaky()).rejects.toThrow(/no SRV record/);
    fail = false;
    expect(await flaky()).toBe("images.example:7");
  });
});
