import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { createFakeEngine } from "../support/fake-engine.js";
import { instrumentEngine, type EngineCallRecord } from "../../src/engine/instrumented-engine.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: pino({ level: "debug" }, stream) };
}

describe("instrumented engine", () => {
  it("times every call, records its outcome, and logs it at debug with the container id and context", async () => {
    const fake = createFakeEngine();
    fake.addImage("img:1");
    const records: EngineCallRecord[] = [];
    const { lines, logger } = memoryLogger();
    const engine = instrumentEngine(fake, {
      logger,
      context: () => ({ requestId: "req-1" }),
      onCall: (r) => records.push(r),
    });

    const id = await engine.containers.create({ name: "web-1", image: "img:1" });
    await engine.containers.start(id);
    const missing = await engine.containers.inspect("nope").catch((err: unknown) => err);
    expect(isDockhandError(missing, "NotFound")).toBe(true);

    expect(records.map((r) => [r.operation, r.outcome])).toEqual([
      ["createContainer", "ok"],
      ["startContainer", "ok"],
      ["inspectContainer", "NotFound"],
    ]);
    expect(records.every((r) => r.seconds >= 0)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l.operation, l.containerId, l.requestId])).toEqual([
      ["createContainer", "web-1", "req-1"],
      ["startContainer", id, "req-1"],
      ["inspectContainer", "nope", "req-1"],
    ]);
    // Non-function members (here a getter) still work through the wrapper.
    expect(engine.allContainers.size).toBe(1);
  });

  it("follows an async iterable until it ends or the consumer stops, without delaying return()", async () => {
    const deltas: number[] = [];
    let release: (() => void) | undefined;
    const source = {
      events: {
        stream(): AsyncIterable<number> {
          return {
            [Symbol.asyncIterator]() {
              let count = 0;
              return {
                next: async () =>
                  count++ < 1
                    ? { done: false, value: 1 }
                    : await new Promise<IteratorResult<number>>(
                        (r) => (release = () => r({ done: true, value: undefined })),
                      ),
                return: async () => {
                  release?.();
                  return { done: true as const, value: undefined };
                },
              };
            },
          };
        },
      },
    };
    const engine = instrumentEngine(source, {
      logger: pino({ level: "silent" }),
      onStream: (_op, delta) => deltas.push(delta),
    });
    const iterator = engine.events.stream()[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    const pending = iterator.next();
    await iterator.return?.();
    expect((await pending).done).toBe(true);
    expect(deltas).toEqual([1, -1]);
  });
});
