let counter = 0;

/**
 * The test run a name belongs to: the pid of the vitest process that ran the global set-up
 * (workers inherit it), so that a run's clean-up removes its own leftovers only, not those of
 * another run on the same engine. A file run outside vitest's set-up uses its own pid.
 */
export const testRun = Number(process.env.DOCKHAND_TEST_RUN ?? process.pid);

/** A service name no other test (or earlier run) uses: the run, then the time and this worker's pid. */
export function uniqueServiceName(prefix: string): string {
  return `t-${prefix}-${testRun}-${Date.now().toString(36)}${process.pid.toString(36)}-${counter++}`;
}

/** Matches every name `uniqueServiceName` makes; the first group is its run. */
export const testServiceName = /^t-[a-z0-9-]+-(\d+)-[0-9a-z]+-\d+$/;
