import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFuzz } from "../support/fuzz/fuzz-run.js";
import { startFuzzTarget, type FuzzTarget } from "../support/fuzz/fuzz-target.js";
import { seedFromEnv } from "../support/fuzz/prng.js";

/**
 * A short run of the contract fuzzer (`npm run fuzz` runs a long one): random, mutated and
 * broken requests to every RPC the server reflects, over gRPC, Connect JSON and Connect binary.
 * No answer may be INTERNAL or UNKNOWN, a refused call must change nothing, dockhand must stay
 * healthy and its RSS bounded. The seed is printed; FUZZ_SEED replays it.
 */
describe("fuzzing every RPC", () => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await startFuzzTarget();
  }, 120_000);
  afterAll(async () => {
    await target?.close();
  }, 120_000);

  it("never answers INTERNAL or UNKNOWN, and a refused call changes nothing", async () => {
    const seed = seedFromEnv();
    console.log(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npm run fuzz)`);
    const report = await runFuzz({ target, seed, maxCalls: 300, maxSeconds: 45, log: (line) => console.log(line) });
    console.log(JSON.stringify({ ...report, failures: report.failures.length }));
    expect(report.failures, `seed ${seed}`).toEqual([]);
    expect(report.calls).toBeGreaterThan(0);
    expect(report.unchangedChecks).toBeGreaterThan(0);
  }, 180_000);
});
