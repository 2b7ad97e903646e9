import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // Every response a test receives is checked against /openapi.json (test/support/OpenApiValidator.ts).
    setupFiles: ["test/support/OpenApiValidator.setup.ts"],
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
      // `npm test` fails below these (the whole suite, child processes included, measured 98.1 % of lines, 87.2 % of branches).
      thresholds: { lines: 90, branches: 85 },
      reporter: ["text-summary", "json-summary"]
    }
  }
})
