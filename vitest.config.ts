import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // Real servers and real databases: give slow machines room, never hang.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // CI also writes a JSON report, from which .ci/run prints "N passed, N failed".
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: "test-results.json" },
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      // The service run as a child process (ServerProcess.ts) counts too: main.ts, Config.ts, Logging.ts, Tracing.ts run only there.
      autoAttachSubprocess: true,
      reporter: ["text-summary", "json-summary"]
    }
  }
})
