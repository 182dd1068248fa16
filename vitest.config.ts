import { defineConfig } from "vitest/config";

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
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores and one engine: more files at once only adds contention.
          maxWorkers: 2,
          // Runs after the unit project; vitest requires a group of its own for other maxWorkers.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
