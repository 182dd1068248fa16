import { scaled } from "./time-scale.js";

/**
 * Polls `check` until it holds; throws after `timeoutMs` (scaled by DOCKHAND_TEST_TIME_SCALE).
 * Returns how long it took, in ms.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
  intervalMs = 100,
): Promise<number> {
  timeoutMs = scaled(timeoutMs);
  const started = Date.now();
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return Date.now() - started;
}
