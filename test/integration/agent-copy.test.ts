import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CopyFormat, type CopyToContainerStreamRequestSchema } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";
import { buildTar, paxPath, readTar, type TarEntry } from "../support/tar-build.js";

type StreamRequest = MessageInitShape<typeof CopyToContainerStreamRequestSchema>;

/** Small limits, so that going over them is cheap. */
const maxBytes = 256 * 1024;
const maxEntries = 5;

describe("ContainerAgent copies", () => {
  const fx = useContainerFixture("copy", { copyMaxBytes: maxBytes, copyMaxEntries: maxEntries });
  let id: string;

  /** Runs a command in the container; its stdout. */
  async function sh(script: string): Promise<string> {
    let out = "";
    for await (const m of fx.agent.exec({ id, command: ["sh", "-c", script] }))
      if (m.item.case === "output") out += Buffer.from(m.item.value.data).toString();
    return out;
  }

  /** Every path under `dir`, sorted. */
  const tree = async (dir: string) => (await sh(`find ${dir} | sort`)).trim().split("\n");

  async function* chunks(open: StreamRequest, content: Buffer, size: number): AsyncGenerator<StreamRequest> {
    yield open;
    for (let at = 0; at < content.length; at += size)
      yield { item: { case: "chunk", value: content.subarray(at, at + size) } };
  }

  beforeAll(async () => {
    id = (await fx.run()).id;
    await sh(
      "mkdir -p /work/in /work/out && printf 'line1\\nline2\\n' > /work/out/notes.txt && ln -s notes.txt /work/out/link",
    );
  });

  it("writes one file from a unary request, with its mode", async () => {
    const answer = await fx.agent.copyToContainer({
      id,
      path: "/work/in/greeting.txt",
      content: { case: "file", value: Buffer.from("hello from a copy\n") },
      mode: 0o600,
    });
    expect(answer).toMatchObject({ entries: 1, sizeBytes: 18n });
    expect(await sh("cat /work/in/greeting.txt; stat -c %a /work/in/greeting.txt")).toBe("hello from a copy\n600\n");
  });

  it("extracts a unary tar with a directory, a file and a link inside it", async () => {
    const tar = buildTar([
      { name: "conf/", type: "5" },
      { name: "conf/app.yaml", content: "port: 80\n" },
      { name: "conf/current", type: "2", linkname: "app.yaml" },
    ]);
    const answer = await fx.agent.copyToContainer({ id, path: "/work/in", content: { case: "tar", value: tar } });
    expect(answer).toMatchObject({ entries: 3, sizeBytes: 9n });
    expect(await sh("cat /work/in/conf/current; readlink /work/in/conf/current")).toBe("port: 80\napp.yaml\n");
  });

  it("refuses a tar that reaches outside its target before writing anything of it", async () => {
    const attacks: Array<[TarEntry, string]> = [
      [{ name: "../escaped", content: "x" }, "'..'"],
      [{ name: "/work/escaped", content: "x" }, "absolute"],
      [{ name: "out", type: "2", linkname: "../../etc" }, "points outside"],
      [{ name: "hard", type: "1", linkname: "../out/notes.txt" }, "'..'"],
    ];
    for (const [attack, problem] of attacks) {
      const dir = `/work/attack-${randomBytes(3).toString("hex")}`;
      await sh(`mkdir -p ${dir}`);
      const tar = buildTar([{ name: "first-ok.txt", content: "fine" }, attack]);
      await expectCode(
        fx.agent.copyToContainer({ id, path: dir, content: { case: "tar", value: tar } }),
        Code.InvalidArgument,
        "tar:",
        problem,
      );
      expect(await tree(dir)).toEqual([dir]);
    }
    const pax = buildTar([
      { name: "ok.txt", content: "fine" },
      paxPath("../../pax-escaped"),
      { name: "x", content: "y" },
    ]);
    await expectCode(
      fx.agent.copyToContainer({ id, path: "/work/in", content: { case: "tar", value: pax } }),
      Code.InvalidArgument,
      "'..'",
    );
    expect(await sh("ls /work/in/ok.txt /pax-escaped /work/pax-escaped 2>&1 | grep -c 'No such file'")).toBe("3\n");
  });

  it("refuses a copy over its limits with RESOURCE_EXHAUSTED, leaving nothing behind", async () => {
    const many = buildTar(Array.from({ length: maxEntries + 1 }, (_, i) => ({ name: `many-${i}.txt`, content: "x" })));
    await expectCode(
      fx.agent.copyToContainer({ id, path: "/work/in", content: { case: "tar", value: many } }),
      Code.ResourceExhausted,
      `${maxEntries} entries`,
    );
    const big = randomBytes(maxBytes + 1);
    await expectCode(
      fx.agent.copyToContainerStream(
        chunks(
          { item: { case: "open", value: { id, path: "/work/in/big.bin", format: CopyFormat.FILE } } },
          big,
          64 * 1024,
        ),
      ),
      Code.ResourceExhausted,
    );
    const bigTar = buildTar([
      { name: "a.bin", content: big.subarray(0, 1000) },
      { name: "b.bin", content: big },
    ]);
    await expectCode(
      fx.agent.copyToContainerStream(
        chunks({ item: { case: "open", value: { id, path: "/work/in", format: CopyFormat.TAR } } }, bigTar, 10_000),
      ),
      Code.ResourceExhausted,
    );
    expect(await sh("ls /work/in")).not.toMatch(/many-|big\.bin|a\.bin|b\.bin/);
  });

  it("streams a file and a tar in, in chunks", async () => {
    const content = randomBytes(200 * 1024);
    const file = await fx.agent.copyToContainerStream(
      chunks(
        { item: { case: "open", value: { id, path: "/work/in/streamed.bin", format: CopyFormat.FILE, mode: 0o640 } } },
        content,
        7000,
      ),
    );
    expect(file).toMatchObject({ entries: 1, sizeBytes: BigInt(content.length) });
    const sha = createHash("sha256").update(content).digest("hex");
    expect(await sh("sha256sum /work/in/streamed.bin; stat -c %a /work/in/streamed.bin")).toBe(
      `${sha}  /work/in/streamed.bin\n640\n`,
    );
    const tar = buildTar([
      { name: "tree/", type: "5" },
      { name: "tree/leaf.txt", content: "leaf" },
    ]);
    const answer = await fx.agent.copyToContainerStream(
      chunks({ item: { case: "open", value: { id, path: "/work/in", format: CopyFormat.TAR } } }, tar, 300),
    );
    expect(answer).toMatchObject({ entries: 2, sizeBytes: 4n });
    expect(await sh("cat /work/in/tree/leaf.txt")).toBe("leaf");
  });

  it("reads a directory out as a tar stream, and a file as plain bytes", async () => {
    const parts: Buffer[] = [];
    let stat;
    for await (const m of fx.agent.copyFromContainer({ id, path: "/work/out" })) {
      if (m.item.case === "stat") stat = m.item.value;
      else if (m.item.case === "chunk") parts.push(Buffer.from(m.item.value));
    }
    expect(stat).toMatchObject({ name: "out", directory: true });
    const entries = readTar(Buffer.concat(parts));
    expect(entries.map((e) => e.name).sort()).toEqual(["out/", "out/link", "out/notes.txt"]);
    expect(entries.find((e) => e.name === "out/notes.txt")?.content.toString()).toBe("line1\nline2\n");
    expect(entries.find((e) => e.name === "out/link")?.linkname).toBe("notes.txt");

    const file: Buffer[] = [];
    for await (const m of fx.agent.copyFromContainer({ id, path: "/work/out/notes.txt", format: CopyFormat.FILE })) {
      if (m.item.case === "stat")
        expect(m.item.value).toMatchObject({ name: "notes.txt", sizeBytes: 12n, mode: 0o644 });
      else if (m.item.case === "chunk") file.push(Buffer.from(m.item.value));
    }
    expect(Buffer.concat(file).toString()).toBe("line1\nline2\n");

    const unary = await fx.agent.copyFromContainerUnary({ id, path: "/work/out/notes.txt", format: CopyFormat.FILE });
    expect(Buffer.from(unary.content).toString()).toBe("line1\nline2\n");
    expect(unary.stat).toMatchObject({ name: "notes.txt", directory: false });
    const link = await fx.agent.copyFromContainerUnary({ id, path: "/work/out/link" });
    expect(link.stat).toMatchObject({ name: "link", linkTarget: "/work/out/notes.txt" });
    expect(readTar(Buffer.from(link.content)).map((e) => e.name)).toEqual(["link"]);
  });

  it("streams a large file out whole, in chunks of at most 64 KiB", async () => {
    await sh("dd if=/dev/urandom of=/work/out/large.bin bs=1024 count=3000 2>/dev/null");
    const expected = (await sh("sha256sum /work/out/large.bin")).split(" ")[0];
    const hash = createHash("sha256");
    let largest = 0;
    for await (const m of fx.agent.copyFromContainer({ id, path: "/work/out/large.bin", format: CopyFormat.FILE })) {
      if (m.item.case !== "chunk") continue;
      hash.update(m.item.value);
      largest = Math.max(largest, m.item.value.length);
    }
    expect(hash.digest("hex")).toBe(expected);
    expect(largest).toBeLessThanOrEqual(64 * 1024);
  });

  it("refuses bad copy requests with the right code, naming the field", async () => {
    await expectCode(
      fx.agent.copyToContainer({ id, path: "work/x", content: { case: "file", value: Buffer.from("x") } }),
      Code.InvalidArgument,
      "path:",
      "absolute",
    );
    await expectCode(
      fx.agent.copyToContainer({ id, path: "/work/../etc/x", content: { case: "file", value: Buffer.from("x") } }),
      Code.InvalidArgument,
      "path:",
      "'..'",
    );
    await expectCode(fx.agent.copyToContainer({ id, path: "/work/x" }), Code.InvalidArgument, "content:");
    await expectCode(
      fx.agent.copyToContainer({
        id,
        path: "/work/x",
        mode: 0o17777,
        content: { case: "file", value: Buffer.from("x") },
      }),
      Code.InvalidArgument,
      "mode:",
    );
    await expectCode(
      fx.agent.copyToContainer({ id, path: "/no/such/dir/x", content: { case: "file", value: Buffer.from("x") } }),
      Code.NotFound,
    );
    await expectCode(
      fx.agent.copyToContainer({ id, path: "/work/in", content: { case: "tar", value: Buffer.from("not a tar") } }),
      Code.InvalidArgument,
      "tar:",
    );
    await expectCode(fx.agent.copyFromContainerUnary({ id, path: "/work/missing" }), Code.NotFound);
    await expectCode(fx.agent.copyFromContainerUnary({ id, path: "relative" }), Code.InvalidArgument, "path:");
    await expectCode(
      fx.agent.copyFromContainerUnary({ id, path: "/work/out", format: CopyFormat.FILE }),
      Code.FailedPrecondition,
      "directory",
    );
    await expectCode(
      fx.agent.copyFromContainerUnary({ id, path: "/work/out", format: 9 as CopyFormat }),
      Code.InvalidArgument,
      "format:",
    );
    await expectCode(
      fx.agent.copyToContainerStream(
        chunks({ item: { case: "open", value: { id, path: "/work/in/x" } } }, Buffer.from("x"), 1),
      ),
      Code.InvalidArgument,
      "open.format:",
    );
    await expectCode(
      fx.agent.copyToContainer({
        id: "no-such-container-here",
        path: "/work/x",
        content: { case: "file", value: Buffer.from("x") },
      }),
      Code.NotFound,
    );
  });
});
