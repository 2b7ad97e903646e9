/**
 * `npm run db:seed` as a person runs it: on an empty embedded database, again
 * (nothing doubles), after the README's walkthrough and someone's own
 * "Savanna" (kept, not duplicated or refused), and while `npm start` holds the
 * data directory (one line saying what to do, or through that server with its
 * key). Every run ends with one line and never a stack trace.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { serviceFree } from "../scripts/lib/Environment.ts"
import { startServer } from "./support/ServerProcess.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")
const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) Fs.rmSync(dir, { recursive: true, force: true })
})
const dataDir = () => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-seed-"))
  dirs.push(dir)
  return dir
}

/** `node scripts/seed.ts` with only `env` for settings: its exit code and what it printed. */
const seed = (env: Record<string, string>) =>
  new Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resolve) => {
    execFile(process.execPath, ["scripts/seed.ts"], {
      cwd: projectDir,
      env: { ...serviceFree(process.env), ...env },
      timeout: 120_000
    }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }))
  })

/** One line of output in all, and nothing that looks like a stack trace. */
const assertOneLine = (run: { readonly stdout: string; readonly stderr: string }) => {
  const lines = `${run.stdout}${run.stderr}`.trim().split("\n")
  assert.strictEqual(lines.length, 1, `one line expected:\n${run.stdout}${run.stderr}`)
  assert.notMatch(lines[0]!, /\bat \S+:\d+:\d+|Error:/)
  return lines[0]!
}

const post = async (url: string, key: string, path: string, body: unknown) => {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000)
  })
  assert.strictEqual(response.status, 201, await response.clone().text())
  return response.json()
}

const list = async (url: string, path: string) => {
  const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) })
  return response.json()
}

describe("npm run db:seed", () => {
  it("seeds an empty database, and a second run adds nothing", async () => {
    const dir = dataDir()
    const first = await seed({ DATA_DIR: dir })
    assert.strictEqual(first.code, 0, first.stderr)
    assert.strictEqual(
      assertOneLine(first),
      `Seeded habitats (3 new, 0 already there), animals (6 new, 0 already there), zookeepers (2 new, 0 already there) and 6 care assignments in ${dir}`
    )
    const second = await seed({ DATA_DIR: dir })
    assert.strictEqual(second.code, 0, second.stderr)
    assert.strictEqual(
      assertOneLine(second),
      `Seeded habitats (0 new, 3 already there), animals (0 new, 6 already there), zookeepers (0 new, 2 already there) and 6 care assignments in ${dir}`
    )
    const server = await startServer({ DATA_DIR: dir, API_KEYS: "k-seed-test" }, { timeoutMs: 60_000 })
    try {
      assert.strictEqual((await list(server.url, "/v2/animals")).total, 6)
      assert.strictEqual((await list(server.url, "/v2/habitats")).total, 3)
      const sam = (await list(server.url, "/v2/zookeepers?name=Sam")).items[0]
      assert.strictEqual((await list(server.url, `/v2/zookeepers/${sam.id}/animals`)).total, 3)
    } finally {
      await server.stop()
    }
  }, 240_000)

  it("after the README's walkthrough and a Savanna of one's own, keeps what exists; while a server runs, says what to do or seeds through it", async () => {
    const dir = dataDir()
    const key = "k-seed-walkthrough"
    const server = await startServer({ DATA_DIR: dir, API_KEYS: key }, { timeoutMs: 60_000 })
    try {
      // The README's walkthrough, and a habitat named as a demo one, with its own id.
      await post(server.url, key, "/v2/habitats", { name: "Lion Plains", climate: "arid", capacity: 10 })
      await post(server.url, key, "/v2/animals", { name: "Nala the Lioness", date_of_birth: "2020-06-01", species: "lion" })
      await post(server.url, key, "/v2/zookeepers", { name: "Ada Walker", email: "ada.walker@zoo.example", hired_on: "2021-05-01" })
      const savanna = await post(server.url, key, "/v2/habitats", { name: "Savanna", climate: "arid", capacity: 30 })
      // A keeper with a demo e-mail in other letter case: the same address.
      await post(server.url, key, "/v2/zookeepers", { name: "Samuel K.", email: "Sam.Keeper@Zoo.Example", hired_on: "2015-03-01" })

      const port = new URL(server.url).port
      const refused = await seed({ DATA_DIR: dir, PORT: port })
      assert.strictEqual(refused.code, 1)
      assert.match(
        assertOneLine(refused),
        new RegExp(`^db:seed: data directory ${dir} is in use by process ${server.pid}.*stop that server .* ZOO_KEY=<the key it printed> npm run db:seed$`)
      )

      const through = await seed({ DATA_DIR: dir, PORT: port, ZOO_KEY: key })
      assert.strictEqual(through.code, 0, through.stderr)
      assert.strictEqual(
        assertOneLine(through),
        `Seeded habitats (2 new, 1 already there), animals (6 new, 0 already there), zookeepers (1 new, 1 already there) and 6 care assignments through the running server at http://127.0.0.1:${port}`
      )
      const habitats = await list(server.url, "/v2/habitats?name=Savanna")
      assert.deepStrictEqual(habitats.items.map((habitat: { id: string }) => habitat.id), [savanna.id])
      assert.strictEqual((await list(server.url, `/v2/habitats/${savanna.id}/animals`)).total, 3)
      assert.strictEqual((await list(server.url, "/v2/animals")).total, 7)
      assert.strictEqual((await list(server.url, "/v2/zookeepers")).total, 3)

      const again = await seed({ DATA_DIR: dir, PORT: port, ZOO_KEY: key })
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(assertOneLine(again), /^Seeded habitats \(0 new, 3 already there\), animals \(0 new, 6 already there\), zookeepers \(0 new, 2 already there\)/)
    } finally {
      await server.stop()
    }
  }, 240_000)
})
