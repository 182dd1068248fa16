import { describe, expect, it } from "vitest";
import { EngineStreamError } from "../../src/engine/docker/docker-progress.js";
import { splitReference } from "../../src/engine/docker/docker-image-control.js";
import { toTransferError } from "../../src/engine/docker/registry-failure.js";
import { progressStream } from "../../src/rpc/container-agent/progress-stream.js";

/** What docker-modem rejects with for a non-200 streaming answer. */
function httpFailure(statusCode: number, text: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${text} `), { statusCode, json: null });
}

describe("registry failure kinds", () => {
  it("keeps the daemon's own status decisions", () => {
    const err = toTransferError(httpFailure(404, "manifest for x:1 not found: manifest unknown"), "pull image x:1");
    expect(err.kind).toBe("NotFound");
    expect(err.message).toBe("pull image x:1: manifest for x:1 not found: manifest unknown");
  });

  it("classifies the registry's verdict a 500 carries as text", () => {
    const refused = httpFailure(
      500,
      'Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused',
    );
    expect(toTransferError(refused, "pull").kind).toBe("Unavailable");
    expect(toTransferError(httpFailure(500, "unauthorized: authentication required"), "pull").kind).toBe(
      "PermissionDenied",
    );
    expect(toTransferError(httpFailure(500, "something else entirely"), "pull").kind).toBe("FailedPrecondition");
  });

  it("classifies in-stream errors, preferring a status code when the engine gives one", () => {
    expect(
      toTransferError(new EngineStreamError("denied: requested access to the resource is denied", undefined), "push")
        .kind,
    ).toBe("PermissionDenied");
    expect(toTransferError(new EngineStreamError("whatever", 404), "push").kind).toBe("NotFound");
    expect(toTransferError(new EngineStreamError("toomanyrequests: slow down", undefined), "pull").kind).toBe(
      "ResourceExhausted",
    );
  });
});

describe("splitReference", () => {
  it("defaults to latest and keeps registry ports apart from tags", () => {
    expect(splitReference("127.0.0.1:5000/app")).toEqual({
      repository: "127.0.0.1:5000/app",
      version: "latest",
      explicit: "127.0.0.1:5000/app:latest",
    });
    expect(splitReference("127.0.0.1:5000/app:2")).toMatchObject({ repository: "127.0.0.1:5000/app", version: "2" });
    expect(splitReference(`app@sha256:${"a".repeat(64)}`)).toMatchObject({
      repository: "app",
      version: `sha256:${"a".repeat(64)}`,
    });
  });
});

describe("progressStream", () => {
  it("yields every event in order, then the result", async () => {
    const items = [];
    for await (const item of progressStream<number, string>(async (report) => {
      report(1);
      await new Promise((resolve) => setImmediate(resolve));
      report(2);
      return "done";
    }))
      items.push(item);
    expect(items).toEqual([
      { kind: "progress", value: 1 },
      { kind: "progress", value: 2 },
      { kind: "result", value: "done" },
    ]);
  });

  it("delivers the events reported before a failure, then throws it", async () => {
    const seen: unknown[] = [];
    const failing = progressStream<number, string>(async (report) => {
      report(1);
      throw new Error("boom");
    });
    await expect(
      (async () => {
        for await (const item of failing) seen.push(item);
      })(),
    ).rejects.toThrow("boom");
    expect(seen).toEqual([{ kind: "progress", value: 1 }]);
  });
});
