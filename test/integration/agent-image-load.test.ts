import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { buildImage, removeImages, saveImages, uniqueRepository } from "../support/images.js";
import { failureOf } from "../support/failure.js";
import { useContainerFixture } from "../support/container-fixture.js";

const limit = 3 * 1024 * 1024;

describe("LoadImage from URLs and inline bytes", () => {
  const fx = useContainerFixture("load", { loadMaxBytes: limit, loadInlineMaxBytes: limit });
  const strict = useContainerFixture("load-strict", { loadTimeoutMs: 500, loadInlineMaxBytes: 1000 });
  let files: http.Server;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), "dockhand-load-"));
  const routes = new Map<string, (res: http.ServerResponse) => void>();
  const images: string[] = [];
  /** Set when a response stream was closed by the client before the server finished it. */
  const abandoned = new Set<string>();

  beforeAll(async () => {
    files = http.createServer((req, res) => {
      res.on("close", () => {
        if (!res.writableFinished) abandoned.add(req.url ?? "");
      });
      const route = routes.get(req.url ?? "");
      if (route) route(res);
      else res.writeHead(404).end("not here");
    });
    files.listen(0, "127.0.0.1");
    await once(files, "listening");
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    removeImages(images);
    files?.closeAllConnections();
    files?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Builds an image, saves it to a tar file, removes it from the engine; returns the tag. */
  function savedArchive(prefix: string): { ref: string; archive: Buffer } {
    const ref = `${uniqueRepository(prefix)}:1`;
    const id = buildImage(ref);
    images.push(ref, id);
    const file = join(dir, `${prefix}.tar`);
    saveImages(file, [ref]);
    removeImages([ref]);
    return { ref, archive: readFileSync(file) };
  }

  function serve(path: string, body: Buffer, headers: http.OutgoingHttpHeaders = {}): string {
    routes.set(path, (res) => res.writeHead(200, { "content-length": body.length, ...headers }).end(body));
    return `${base}${path}`;
  }

  it("loads a plain archive from a URL and returns its tag", async () => {
    const { ref, archive } = savedArchive("plain");
    const loaded = await fx.agent.loadImage({ source: { case: "url", value: serve("/plain.tar", archive) } });
    expect(loaded.images).toEqual([ref]);
    expect(loaded.archiveBytes).toBe(BigInt(archive.length));
    expect((await fx.agent.getImage({ image: ref })).image?.repoTags).toEqual([ref]);
  });

  it("loads a gzipped archive, recognised by its magic bytes whatever its name and type", async () => {
    const { ref, archive } = savedArchive("gzipped");
    const gz = gzipSync(archive);
    const url = serve("/archive.bin", gz, { "content-type": "application/octet-stream" });
    const loaded = await fx.agent.loadImage({ source: { case: "url", value: url } });
    expect(loaded.images).toEqual([ref]);
    expect(loaded.archiveBytes).toBe(BigInt(gz.length));
  });

  it("loads an archive sent inline, plain or gzipped, and an untagged image by id", async () => {
    const { ref, archive } = savedArchive("inline");
    expect((await fx.agent.loadImage({ source: { case: "archive", value: archive } })).images).toEqual([ref]);
    removeImages([ref]);
    expect((await fx.agent.loadImage({ source: { case: "archive", value: gzipSync(archive) } })).images).toEqual([ref]);

    const id = buildImage();
    images.push(id);
    const file = join(dir, "untagged.tar");
    saveImages(file, [id]);
    expect((await fx.agent.loadImage({ source: { case: "archive", value: readFileSync(file) } })).images).toEqual([id]);
  });

  it("answers NOT_FOUND when the server answers 404, FAILED_PRECONDITION for other statuses", async () => {
    const missing = await failureOf(fx.agent.loadImage({ source: { case: "url", value: `${base}/nothing.tar` } }));
    expect(missing.code).toBe(Code.NotFound);
    expect(missing.rawMessage).toContain("404");
    routes.set("/broken", (res) => res.writeHead(500).end("broken"));
    const broken = await failureOf(fx.agent.loadImage({ source: { case: "url", value: `${base}/broken` } }));
    expect(broken.code).toBe(Code.FailedPrecondition);
    expect(broken.rawMessage).toContain("500");
  });

  it("refuses a truncated archive, plain or gzipped, with INVALID_ARGUMENT", async () => {
    const { ref, archive } = savedArchive("truncated");
    const half = archive.subarray(0, Math.floor(archive.length / 2));
    const plain = await failureOf(fx.agent.loadImage({ source: { case: "url", value: serve("/half.tar", half) } }));
    expect(plain.code).toBe(Code.InvalidArgument);
    const gz = gzipSync(archive);
    const halfGz = gz.subarray(0, Math.floor(gz.length / 2));
    const gzipped = await failureOf(fx.agent.loadImage({ source: { case: "archive", value: halfGz } }));
    expect(gzipped.code).toBe(Code.InvalidArgument);
    expect(gzipped.rawMessage).toContain("archive");
    const garbage = await failureOf(
      fx.agent.loadImage({ source: { case: "archive", value: Buffer.from("not an archive") } }),
    );
    expect(garbage.code).toBe(Code.InvalidArgument);
    expect((await failureOf(fx.agent.getImage({ image: ref }))).code).toBe(Code.NotFound);
  });

  it("refuses an archive over the size limit: announced, streamed without length, or inline", async () => {
    const announced = await failureOf(
      fx.agent.loadImage({ source: { case: "url", value: serve("/big.tar", Buffer.alloc(limit + 1)) } }),
    );
    expect(announced.code).toBe(Code.ResourceExhausted);
    expect(announced.rawMessage).toContain("url");

    // An endless body without Content-Length: the call can only end if the download is cut.
    routes.set("/endless", (res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    const endless = await failureOf(fx.agent.loadImage({ source: { case: "url", value: `${base}/endless` } }));
    expect(endless.code).toBe(Code.ResourceExhausted);
    expect(abandoned.has("/endless")).toBe(true);

    const inline = await failureOf(strict.agent.loadImage({ source: { case: "archive", value: Buffer.alloc(1001) } }));
    expect(inline.code).toBe(Code.ResourceExhausted);
    expect(inline.rawMessage).toContain("archive");
  });

  it("gives up on a download that takes longer than the configured timeout", async () => {
    routes.set("/stalled", (res) => res.writeHead(200).write(Buffer.alloc(1024)));
    const stalled = await failureOf(strict.agent.loadImage({ source: { case: "url", value: `${base}/stalled` } }));
    expect(stalled.code).toBe(Code.DeadlineExceeded);
    expect(stalled.rawMessage).toContain("url");
  });

  it("refuses bad URLs and a missing source with INVALID_ARGUMENT naming the field", async () => {
    for (const url of ["", "ftp://127.0.0.1/x.tar", "not a url", "http://user:secret@127.0.0.1/x.tar"]) {
      const failure = await failureOf(fx.agent.loadImage({ source: { case: "url", value: url } }));
      expect(failure.code).toBe(Code.InvalidArgument);
      expect(failure.rawMessage).toMatch(/^url: /);
    }
    const none = await failureOf(fx.agent.loadImage({}));
    expect(none.code).toBe(Code.InvalidArgument);
    expect(none.rawMessage).toContain("source");
    const empty = await failureOf(fx.agent.loadImage({ source: { case: "archive", value: new Uint8Array() } }));
    expect(empty.code).toBe(Code.InvalidArgument);
    expect(empty.rawMessage).toContain("archive");
  });
});
