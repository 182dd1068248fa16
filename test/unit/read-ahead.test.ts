import { describe, expect, it } from "vitest";
import { readAhead } from "../../src/lib/read-ahead.js";

/** A source of `count` items of `size` bytes that records how many were read from it. */
function source(count: number, size: number) {
  const state = { read: 0, returned: false };
  async function* items() {
    try {
      for (let i = 0; i < count; i++) {
        state.read++;
        yield Buffer.alloc(size, i);
      }
    } finally {
      state.returned = true;
    }
  }
  return { state, items: items() };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("readAhead", () => {
  it("hands on every item in order", async () => {
    const { items } = source(50, 10);
    const seen: number[] = [];
    for await (const item of readAhead(items, (b) => b.length, 35)) seen.push(item[0]!);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("reads ahead no further than its limit while the consumer waits", async () => {
    const { state, items } = source(100, 10);
    const iterator = readAhead(items, (b) => b.length, 35)[Symbol.asyncIterator]();
    await iterator.next();
    for (let i = 0; i < 20; i++) await settle();
    // One handed on, at most 35 bytes (4 items of 10: the last read starts below the limit) held.
    expect(state.read).toBeLessThanOrEqual(5);
    await iterator.return(undefined);
    for (let i = 0; i < 20; i++) await settle();
    expect(state.returned).toBe(true);
  });

  it("passes the source's error on after the items read before it", async () => {
    async function* failing() {
      yield Buffer.from("a");
      throw new Error("source broke");
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(failing(), (b) => b.length, 1024)) seen.push(item.toString());
      })(),
    ).rejects.toThrow("source broke");
    expect(seen).toEqual(["a"]);
  });
});
