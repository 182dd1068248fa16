import { runFuzz } from "./fuzz-run.js";
import { startFuzzTarget } from "./fuzz-target.js";
import { seedFromEnv } from "./prng.js";

/**
 * `npm run fuzz`: a longer run than the one in `npm test`. FUZZ_SECONDS (default 120) and
 * FUZZ_CALLS (default 100000) bound it; FUZZ_SEED replays a run, FUZZ_CASE one case of it.
 */
const seed = seedFromEnv();
const only = process.env.FUZZ_CASE ? Number(process.env.FUZZ_CASE) : undefined;
const target = await startFuzzTarget();
// The private engine and dockhand are this process's children: end them on Ctrl-C too.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void target.close().finally(() => process.exit(130)));
}
try {
  const report = await runFuzz({
    target,
    seed,
    only,
    maxSeconds: Number(process.env.FUZZ_SECONDS ?? 120),
    maxCalls: Number(process.env.FUZZ_CALLS ?? 100_000),
    log: (line) => console.log(line),
  });
  const { failures, ...summary } = report;
  console.log(JSON.stringify({ ...summary, failures: failures.length }));
  for (const failure of failures) console.log(JSON.stringify(failure));
  console.log(
    failures.length
      ? `fuzz: ${failures.length} failure(s); replay with FUZZ_SEED=${seed}`
      : `fuzz: no failures (seed ${seed})`,
  );
  process.exitCode = failures.length ? 1 : 0;
} finally {
  await target.close();
}
