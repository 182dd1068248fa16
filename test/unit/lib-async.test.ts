import { describe, expect, it } from "vitest";
import { sleep } from "../../src/lib/sleep.js";
import { createWakeup } from "../../src/lib/wakeup.js";

describe("wakeup", () => {
  it("resolves the waiting next() at notify, and a later next() only at a later notify", async () => {
    const wakeup = createWakeup();
    let woken = 0;
    const first = wakeup.next().then(() => woken++);
    wakeup.notify();
    await first;
    expect(woken).toBe(1);
    let second = false;
    void wakeup.next().then(() => (second = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false);
    wakeup.notify();
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(true);
  });

  it("resolves at once when its signal aborts, and after it", async () => {
    const abort = new AbortController();
    const wakeup = createWakeup(abort.signal);
    const waiting = wakeup.next();
    abort.abort();
    await waiting;
    await wakeup.next();
    wakeup.close();
  });
});

describe("sleep", () => {
  it("ends early when its signal aborts, and at once when it already has", async () => {
    const abort = new AbortController();
    const slept = sleep(60_000, abort.signal);
    abort.abort();
    await slept;
    await sleep(60_000, abort.signal);
  });
});
