/**
 * Runs `task` over `items` with at most `limit` in flight. After the first failure no new task
 * starts; the ones in flight finish. Resolves with the first error (or undefined) once all
 * started tasks have settled.
 */
export async function runBounded<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
  shouldContinue: () => boolean = () => true,
): Promise<unknown> {
  let next = 0;
  let firstError: unknown;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && next < items.length && shouldContinue()) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return firstError;
}
