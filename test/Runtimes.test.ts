/**
 * The same app on Deno and Bun, through `src/web.ts` (a Web handler that
 * imports nothing from `node:*`). Both runtimes come from npm as
 * devDependencies; the seed article's requests run against each.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { testApiKey } from "./support/Credentials.ts"
import { freePort } from "./support/ServerProcess.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")
const bin = (name: string) => Path.join(projectDir, "node_modules", ".bin", name)

const runtimes = [
  { name: "deno", command: bin("deno"), args: (port: number) => ["run", "-A", "test/support/web-server.ts", String(port)] },
  { name: "bun", command: bin("bun"), args: (port: number) => ["test/support/web-server.ts", String(port)] }
] as const

const children: Array<ReturnType<typeof spawn>> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
})

/** Starts the runtime on a free port; resolves once it prints that it listens (bounded). */
const serve = async (runtime: (typeof runtimes)[number]) => {
  const port = await freePort()
  const child = spawn(runtime.command, runtime.args(port), {
    cwd: projectDir,
    env: { ...process.env, API_KEYS: testApiKey },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let output = ""
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${runtime.name} did not start in 30 s:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(`listening ${runtime.name}`)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("exit", (code) => reject(new Error(`${runtime.name} exited (${code}):\n${output}`)))
  })
  return `http://127.0.0.1:${port}`
}

for (const runtime of runtimes) {
  const available = existsSync(runtime.command)
  if (!available && process.env.CI) throw new Error(`${runtime.name} is required under CI=true (npm ci installs it)`)
  describe.skipIf(!available)(`the Web handler on ${runtime.name}`, () => {
    it("serves the seed's requests: GET list is a JSON array, POST is 201, errors are problems", async () => {
      const url = await serve(runtime)
      const list = await fetch(`${url}/v1/animals`, { signal: AbortSignal.timeout(10_000) })
      assert.strictEqual(list.status, 200)
      assert.deepStrictEqual(await list.json(), [])
      const created = await fetch(`${url}/v1/animals`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": testApiKey },
        body: JSON.stringify({ name: "Test Lion", date_of_birth: "2020-01-01", species: "lion" }),
        signal: AbortSignal.timeout(10_000)
      })
      assert.strictEqual(created.status, 201)
      const animal = await created.json()
      assert.strictEqual(created.headers.get("location"), `/v1/animals/${animal.id}`)
      const missing = await fetch(`${url}/v1/animals/00000000-0000-4000-8000-000000000000`, { signal: AbortSignal.timeout(10_000) })
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.headers.get("content-type"), "application/problem+json")
      const wrongMethod = await fetch(`${url}/v1/animals`, { method: "DELETE", signal: AbortSignal.timeout(10_000) })
      assert.strictEqual(wrongMethod.status, 405)
      assert.strictEqual(wrongMethod.headers.get("allow"), "GET, HEAD, POST, OPTIONS")
    }, 60_000)
  })
}
