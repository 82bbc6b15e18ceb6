import { defineConfig } from "vitest/config"

// Tests run against the TypeScript sources of every workspace package (the "source" export condition),
// so a test run never depends on a stale build.
export default defineConfig({
  resolve: { conditions: ["source", "import", "node", "default"] },
  ssr: { resolve: { conditions: ["source", "import", "node", "default"], externalConditions: ["source"] } },
  test: {
    include: ["{core,adapters,projections,apps/*}/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2
  }
})
