import { gzipSync } from "node:zlib";
import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { inlineArchive } from "../../src/rpc/container-agent/archive-source.js";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("archive source", () => {
  const tar = Buffer.from("a".repeat(5000));

  it("passes a plain archive through and gunzips one that starts with gzip's magic bytes", async () => {
    expect(await readAll(inlineArchive(tar, { maxBytes: 10_000 }).stream)).toEqual(tar);
    const gz = inlineArchive(gzipSync(tar), { maxBytes: 10_000 });
    expect(await readAll(gz.stream)).toEqual(tar);
    expect(gz.receivedBytes()).toBe(gzipSync(tar).length);
  });

  it("passes a one-byte archive through (too short to be gzip)", async () => {
    expect(await readAll(inlineArchive(Buffer.from([0x1f]), { maxBytes: 10 }).stream)).toEqual(Buffer.from([0x1f]));
  });

  it("stops a gzip stream that unpacks past the limit with ResourceExhausted", async () => {
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    expect(bomb.length).toBeLessThan(10_000);
    await expect(readAll(inlineArchive(bomb, { maxBytes: 10_000 }).stream)).rejects.toMatchObject({
      kind: "ResourceExhausted",
      details: { field: "archive" },
    });
  });

  it("reports a truncated gzip stream as InvalidArgument naming the field", async () => {
    const gz = gzipSync(tar);
    await expect(
      readAll(inlineArchive(gz.subarray(0, gz.length - 10), { maxBytes: 10_000 }).stream),
    ).rejects.toMatchObject({
      kind: "InvalidArgument",
      details: { field: "archive" },
    });
  });
});
