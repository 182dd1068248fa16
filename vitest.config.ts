import { defineConfig } from "vitest/config";
import { scaled } from "./test/support/time-scale.js";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          // A loaded machine may need longer: DOCKHAND_TEST_TIME_SCALE multiplies these and every until().
          testTimeout: scaled(240_000),
          hookTimeout: scaled(240_000),
          // Two cores and one engine: more files at once only adds contention.
          maxWorkers: 2,
          // Runs after the unit project; vitest requires a group of its own for other maxWorkers.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
