import { defineConfig } from "vitest/config";

// One project per test layer so the fast loop (unit) never waits on the local zone.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { test: { name: "policy", include: ["test/policy/**/*.test.ts"] } },
      {
        test: {
          name: "service",
          include: ["test/service/**/*.test.ts"],
          fileParallelism: false,
          // A throwaway PostgreSQL cluster; each test file makes its own database in it.
          globalSetup: ["test/service/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          fileParallelism: false,
          // The CLI as a subprocess against the in-process service, on the service tests' PostgreSQL.
          globalSetup: ["test/service/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          setupFiles: ["test/integration/helpers/namespace-guard.ts"],
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 600_000,
        },
      },
    ],
    coverage: {
      provider: "v8",
      include: ["components/**/*.ts", "spec/**/*.ts", "stacks/**/*.ts", "policy/**/*.ts"],
    },
  },
});
