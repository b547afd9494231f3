import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Forks keep the heavy provider imports in separate processes. Two workers on this 2-core machine
    // (vitest's default would be one): the long files wait on child processes much of the time, and
    // two workers measured 252 s against 370 s for the whole suite.
    pool: "forks",
    maxWorkers: 2,
  },
});
