import { afterAll, beforeAll } from "vitest";

/**
 * Something a whole test file shares: started before its tests (and before the hooks the file
 * adds after this call), closed after them. The returned object stands for it: each member is
 * read from the started one when used, so only inside tests and hooks.
 */
export function useForFile<T extends { close(): Promise<void> }>(what: string, start: () => Promise<T>): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as T, {
    get(_stand_in, key) {
      if (!started) throw new Error(`${what} is only there inside tests`);
      const value: unknown = Reflect.get(started, key);
      return typeof value === "function" ? value.bind(started) : value;
    },
  });
}
