/**
 * The one setting for how much longer a slow machine may take: DOCKHAND_TEST_TIME_SCALE
 * (default 1) multiplies every wait a test allows for an event, and the tests' own timeouts.
 * A test still waits for the event itself, never for a fixed time.
 */
export const timeScale =
  Number(process.env.DOCKHAND_TEST_TIME_SCALE) > 0 ? Number(process.env.DOCKHAND_TEST_TIME_SCALE) : 1;

/** `ms` as this machine may need it. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale);
}
