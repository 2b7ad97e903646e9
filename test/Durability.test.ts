/**
 * The service as it runs in production, a separate process (`node src/main.ts`)
 * on PGlite or PostgreSQL: what it acknowledged survives `kill -9`, a data
 * directory is never opened twice, concurrent creates of one id have exactly
 * one winner, and two instances starting at once migrate one schema once.
 */
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { migrations } from "../src/Repo/Migrations.ts"
import { skipPostgres } from "./support/Databases.ts"
import { adminQuery, createSchema, dropSchema, schemaUrl } from "./support/PostgresSchemas.ts"
import { exitWithin, freePort, postJson, request, type ServerProcess, spawnServer, startServer } from "./support/ServerProcess.ts"

const lion = { name: "Test Lion", date_of_birth: "2020-01-01", species: "lion" }
const problemJson = "application/problem+json"

/** Undone after each test, last first, even when the test failed. */
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  const errors: Array<unknown> = []
  while (cleanups.length > 0) {
    await cleanups.pop()!().catch((error: unknown) => errors.push(error))
  }
  if (errors.length > 0) throw new AggregateError(errors, "cleanup failed")
})

/** Starts a server that is stopped after the test. */
const serve = async (env: Record<string, string>) => {
  const server = await startServer(env)
  cleanups.push(() => server.stop())
  report(`started in ${server.startupMs.toFixed(0)} ms (${env.DATABASE_URL ? "PostgreSQL" : "PGlite"})`)
  return server
}

/** Measurements, printed with TEST_TIMINGS=1. */
const report = (line: string) => {
  if (process.env.TEST_TIMINGS) console.error(`[Durability] ${line}`)
}

const freshDataDir = () => {
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-api-durability-"))
  cleanups.push(() => Fs.promises.rm(root, { recursive: true, force: true }))
  return Path.join(root, "data")
}

const freshSchema = async (label: string) => {
  const schema = await createSchema(label)
  cleanups.push(() => dropSchema(schema))
  return schema
}

const lockHolder = (dataDir: string) => Number.parseInt(Fs.readFileSync(Path.join(dataDir, ".zoo-api.lock"), "utf8"), 10)

/** Tests that start several servers: room for slow starts (each is bounded by `startServer` too). */
const slow = { timeout: 90_000 }

/**
 * kill -9 right after the 201, restart on the same storage: the animal is
 * there, byte for byte. `afterKill` inspects what the dead process left.
 */
const survivesKill9 = async (env: Record<string, string>, afterKill: (dead: ServerProcess) => void = () => {}) => {
  const first = await serve(env)
  const id = globalThis.crypto.randomUUID()
  const created = await postJson(`${first.url}/v1/animals`, { ...lion, id })
  const exitCode = await first.kill("SIGKILL")
  expect(created.status, created.text).toBe(201)
  expect(exitCode).toBeNull() // ended by the signal: no shutdown code ran
  afterKill(first)

  const second = await serve(env)
  const fetched = await request(`${second.url}/v1/animals/${id}`)
  expect(fetched.status, fetched.text).toBe(200)
  expect(fetched.json()).toEqual(created.json())
  expect((await request(`${second.url}/readyz`)).status).toBe(200)
  return second
}

/** 100 POSTs of one client-chosen id at once: the primary key lets exactly one through. */
const oneWinner = async (env: Record<string, string>) => {
  const server = await serve(env)
  const id = globalThis.crypto.randomUUID()
  const started = performance.now()
  const responses = await Promise.all(
    Array.from({ length: 100 }, () => postJson(`${server.url}/v1/animals`, { ...lion, id }, 20_000))
  )
  report(`100 concurrent POSTs answered in ${(performance.now() - started).toFixed(0)} ms`)
  const statuses = responses.map((response) => response.status)
  const count = (status: number) => statuses.filter((s) => s === status).length
  expect({ 201: count(201), 409: count(409), other: statuses.filter((s) => s !== 201 && s !== 409) })
    .toEqual({ 201: 1, 409: 99, other: [] })
  for (const response of responses.filter((r) => r.status === 409)) {
    expect(response.headers.get("content-type")).toBe(problemJson)
    expect(response.json()).toMatchObject({ status: 409, type: "/problems/animal-already-exists", id })
  }
  // The winner's body is what is stored.
  const winner = responses.find((response) => response.status === 201)!
  const stored = await request(`${server.url}/v1/animals/${id}`)
  expect(stored.json()).toEqual(winner.json())
}

describe("PGlite (DATA_DIR)", () => {
  it("an animal acknowledged with 201 survives kill -9; the stale lock does not block the restart", slow, async () => {
    const dataDir = freshDataDir()
    const second = await survivesKill9({ DATA_DIR: dataDir }, (dead) => {
      // kill -9 runs no finalizer: the dead process's lock is still there...
      expect(lockHolder(dataDir)).toBe(dead.pid)
    })
    // ...and the restarted process took it over.
    expect(lockHolder(dataDir)).toBe(second.pid)
  })

  it("a second server on a data directory in use exits non-zero, and the first keeps serving", slow, async () => {
    const dataDir = freshDataDir()
    const first = await serve({ DATA_DIR: dataDir })

    const second = spawnServer({ DATA_DIR: dataDir }, await freePort())
    cleanups.push(() => second.stop())
    const exitCode = await exitWithin(second, 30_000)
    expect(exitCode, second.output()).not.toBe(0)
    expect(exitCode, second.output()).not.toBeNull()
    expect(second.output()).toContain("Zoo API could not start")
    expect(second.output()).toContain(`is in use by process ${first.pid}`)

    // The loser left the winner's lock alone, and the winner still reads and writes.
    expect(lockHolder(dataDir)).toBe(first.pid)
    expect((await postJson(`${first.url}/v1/animals`, lion)).status).toBe(201)
    const list = await request(`${first.url}/v1/animals`)
    expect(list.status).toBe(200)
    expect(list.json()).toHaveLength(1)
    expect((await request(`${first.url}/readyz`)).status).toBe(200)
  })

  it("100 concurrent POSTs with one id: one 201, ninety-nine 409", slow, async () => {
    await oneWinner({ DATA_DIR: freshDataDir() })
  })
})

describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  it("an animal acknowledged with 201 survives kill -9 of the service", slow, async () => {
    const schema = await freshSchema("durability_kill9")
    await survivesKill9({ DATABASE_URL: schemaUrl(schema) })
    // The URL's options really did confine the service to its schema.
    const rows = await adminQuery<{ count: string }>(`SELECT count(*)::text AS count FROM "${schema}".animals`)
    expect(rows[0]!.count).toBe("1")
  })

  it("100 concurrent POSTs with one id: one 201, ninety-nine 409", slow, async () => {
    const schema = await freshSchema("durability_race")
    await oneWinner({ DATABASE_URL: schemaUrl(schema) })
  })

  it("two servers starting at once on a fresh schema both get ready, and migrate it once", slow, async () => {
    const schema = await freshSchema("durability_migrate")
    const env = { DATABASE_URL: schemaUrl(schema) }
    const servers = await Promise.all([serve(env), serve(env)])
    for (const server of servers) {
      const ready = await request(`${server.url}/readyz`)
      expect(ready.status, ready.text).toBe(200)
    }

    const expected = (await Effect.runPromise(migrations)).map(([id, name]) => ({ migration_id: id, name }))
    const applied = await adminQuery(`SELECT migration_id, name FROM "${schema}".effect_sql_migrations ORDER BY migration_id`)
    expect(applied).toEqual(expected)
    // Each migration ran once (a second run would have failed on CREATE TABLE), in the schema the URL named.
    const tables = await adminQuery<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
      [schema]
    )
    expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(["animals", "effect_sql_migrations"]))

    // Both serve the one schema.
    const created = await postJson(`${servers[0].url}/v1/animals`, lion)
    expect(created.status).toBe(201)
    expect((await request(`${servers[1].url}/v1/animals/${created.json().id}`)).json()).toEqual(created.json())
  })
})
