/**
 * Starting the real process with bad settings: every problem is reported in
 * one message, and the process exits non-zero without a stack trace.
 */
import { spawn } from "node:child_process"
import * as Path from "node:path"
import { assert, describe, it } from "vitest"
import { serviceFree } from "../scripts/lib/Environment.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")

/** Runs `src/main.ts` with exactly the service settings in `env`; resolves when it exits (bounded). */
const start = (env: Record<string, string>) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["src/main.ts"], {
      cwd: projectDir,
      env: { ...serviceFree(process.env), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`still running after 20 s:\n${output}`))
    }, 20_000)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

describe("startup with bad configuration", () => {
  it("names every bad value in one message and exits 1", async () => {
    const { code, output } = await start({ PORT: "abc", DATABASE_URL: "nope", DATABASE_STATEMENT_TIMEOUT: "forever" })
    assert.strictEqual(code, 1, output)
    assert.include(output, "invalid configuration")
    assert.include(output, "PORT: expected")
    assert.include(output, "DATABASE_URL: expected a postgres:// or postgresql:// URL")
    assert.include(output, "DATABASE_STATEMENT_TIMEOUT")
    assert.notInclude(output, "    at ", "no stack trace")
  })

  it("refuses the embedded database in production", async () => {
    // With credentials configured: production without them is refused too (see Auth.test.ts).
    const { code, output } = await start({ NODE_ENV: "production", API_KEYS: "a-production-key", METRICS_TOKEN: "a-metrics-token" })
    assert.strictEqual(code, 1, output)
    assert.include(output, "DATABASE_URL is required when NODE_ENV=production")
  })
})
