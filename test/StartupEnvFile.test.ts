/**
 * `.env`: read at start when present (Node's `process.loadEnvFile`), with the
 * environment winning over the file; not read in production unless `ENV_FILE`
 * names it; a missing `ENV_FILE` is a startup error. `.env.example` lists
 * every variable the service reads. Each case runs the service in a directory
 * of its own, so no other test sees the file.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { serviceFree } from "../scripts/lib/Environment.ts"
import { freePort } from "./support/ServerProcess.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")
const mainPath = Path.join(projectDir, "src", "main.ts")
const dirs: Array<string> = []
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) child.kill("SIGKILL")
  for (const dir of dirs) Fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh working directory holding `files`. */
const directory = (files: Record<string, string>) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-envfile-"))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) Fs.writeFileSync(Path.join(dir, name), text)
  return dir
}

/** `node src/main.ts` in `cwd`: the `Sunset` header of a `/v1` answer once it serves, or its exit code and output. */
const start = async (cwd: string, env: Record<string, string>) => {
  const port = await freePort()
  const child = spawn(process.execPath, [mainPath], {
    cwd,
    env: { ...serviceFree(process.env), PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let output = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => output += chunk)
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => output += chunk)
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve))
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const code = await Promise.race([exited, new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 200))])
    if (code !== "running") return { exitCode: code, output }
    const response = await fetch(`http://127.0.0.1:${port}/v1/animals`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined)
    if (response !== undefined) {
      child.kill("SIGTERM")
      await exited
      return { sunset: response.headers.get("sunset"), output }
    }
  }
  child.kill("SIGKILL")
  throw new Error(`neither served nor exited in 30 s:\n${output}`)
}

const fileSettings = "STORAGE=memory\nAPI_KEYS=k-from-file\nV1_SUNSET_AT=2027-09-01T00:00:00Z\n"

describe(".env", () => {
  it("is read from the working directory when present, and the environment wins over it", async () => {
    const cwd = directory({ ".env": fileSettings })
    const fromFile = await start(cwd, {})
    assert.strictEqual(fromFile.sunset, "Wed, 01 Sep 2027 00:00:00 GMT", fromFile.output)
    const fromEnvironment = await start(cwd, { V1_SUNSET_AT: "2027-10-01T00:00:00Z" })
    assert.strictEqual(fromEnvironment.sunset, "Fri, 01 Oct 2027 00:00:00 GMT", fromEnvironment.output)
  })

  it("is not read in production, unless ENV_FILE names it", async () => {
    const cwd = directory({ ".env": "DATABASE_URL=postgres://zoo@127.0.0.1:1/zoo\n", "settings.env": fileSettings })
    const ignored = await start(cwd, { NODE_ENV: "production", API_KEYS: "k", METRICS_TOKEN: "m" })
    assert.strictEqual(ignored.exitCode, 1)
    // Had .env been read, DATABASE_URL would be set and the start would fail on the connection instead.
    assert.include(ignored.output, "DATABASE_URL is required when NODE_ENV=production")

    const named = await start(cwd, { ENV_FILE: "settings.env" })
    assert.strictEqual(named.sunset, "Wed, 01 Sep 2027 00:00:00 GMT", named.output)
  })

  it("a missing ENV_FILE is a startup error naming it", async () => {
    const failed = await start(directory({}), { ENV_FILE: "nowhere.env", STORAGE: "memory" })
    assert.strictEqual(failed.exitCode, 1)
    assert.match(failed.output, /Zoo API could not start: invalid configuration:\\n {2}- ENV_FILE: cannot read nowhere\.env/)
  })
})

describe(".env.example", () => {
  it("lists every variable the configuration reads, each with a comment", () => {
    const example = Fs.readFileSync(Path.join(projectDir, ".env.example"), "utf8")
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]))
    const config = Fs.readFileSync(Path.join(projectDir, "src", "Config.ts"), "utf8")
    const read = new Set([...config.matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)].map((match) => match[1]))
    for (const name of ["PORT", "DATABASE_URL", "API_KEYS", "STORAGE"]) assert.isTrue(read.has(name), name)
    for (const name of [...read, "ENV_FILE"]) assert.isTrue(listed.has(name), `.env.example lacks ${name}`)
  })
})
