/**
 * Graceful shutdown of the real process. On SIGTERM or SIGINT it stops
 * accepting connections, lets a request in flight finish with 200, and exits
 * 0; a request still running when SHUTDOWN_TIMEOUT runs out does not keep it
 * alive. On PGlite, what was acknowledged is there after the restart.
 *
 * No fixed sleeps: each step waits for the event it needs (the request
 * blocked on a lock in PostgreSQL, the listener gone), bounded generously.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "vitest"
import { skipPostgres } from "./support/Databases.ts"
import { createSchema, dropSchema, holdLock, schemaUrl, waitForLockWaiter } from "./support/PostgresSchemas.ts"
import { connectOutcome, exitWithin, postJson, request, type ServerProcess, startServer } from "./support/ServerProcess.ts"

/** Polls `check` every 50 ms until it is true; fails after `timeoutMs` with `what`. */
const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Whether a new TCP connection to the server is refused (the listener is closed). */
const refusesConnections = async (url: string) => (await connectOutcome(Number(new URL(url).port))) === "refused"

describe.skipIf(skipPostgres)("shutdown (PostgreSQL)", () => {
  let schema: string
  const servers: Array<ServerProcess> = []
  const locks: Array<{ readonly release: () => Promise<void> }> = []

  beforeAll(async () => {
    schema = await createSchema("shutdown")
  })
  afterEach(async () => {
    for (const lock of locks.splice(0)) await lock.release()
    for (const server of servers.splice(0)) await server.stop()
  })
  afterAll(async () => {
    await dropSchema(schema)
  })

  /** A server, and a GET of the animals kept in flight by a lock the test holds on their table. */
  const withRequestInFlight = async (shutdownTimeout: string) => {
    const server = await startServer({ DATABASE_URL: schemaUrl(schema), SHUTDOWN_TIMEOUT: shutdownTimeout })
    servers.push(server)
    const lock = await holdLock(`LOCK TABLE "${schema}".animals IN ACCESS EXCLUSIVE MODE`)
    locks.push(lock)
    const inFlight = request(`${server.url}/v1/animals`, { timeoutMs: 60_000 }).then(
      (response) => ({ status: response.status, body: response.text }),
      (error: unknown) => ({ status: 0, body: String(error) })
    )
    // The event, not a guess: the request's query waits for the lock.
    await waitForLockWaiter(`"${schema}".animals`, 20_000)
    return { server, lock, inFlight }
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: no new connections, the request in flight finishes with 200, then exit 0`, async () => {
      // SHUTDOWN_TIMEOUT far beyond the test's waits: the drain cannot run out while the test looks.
      const { inFlight, lock, server } = await withRequestInFlight("2 minutes")
      const exited = server.kill(signal)
      await waitFor("the listener to close", () => refusesConnections(server.url))
      assert.isFalse(server.hasExited(), "the process waits for the request in flight")
      await lock.release()
      const response = await inFlight
      assert.strictEqual(response.status, 200, response.body)
      assert.strictEqual(response.body, "[]")
      assert.strictEqual(await exited, 0, server.output())
    }, 90_000)
  }

  it("SIGTERM with a request that outlasts SHUTDOWN_TIMEOUT: the process exits anyway, with the request unanswered", async () => {
    const { inFlight, server } = await withRequestInFlight("2 seconds")
    const signalled = performance.now()
    void server.kill("SIGTERM")
    // The lock is still held: only the timeout running out can end the process.
    const code = await exitWithin(server, 45_000)
    const waitedMs = performance.now() - signalled
    assert.strictEqual(code, 0, server.output())
    // A timer never fires early: the process gave the request its 2 seconds.
    assert.isAtLeast(waitedMs, 1_900, `exited ${waitedMs.toFixed(0)} ms after SIGTERM`)
    const response = await inFlight
    assert.notStrictEqual(response.status, 200, "the request did not finish: the lock is still held")
  }, 90_000)
})

describe("shutdown (PGlite)", () => {
  const dataDirs: Array<string> = []
  afterAll(() => {
    for (const dir of dataDirs) Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("SIGTERM: exit 0, the data directory unlocked and every acknowledged write there on the next start", async () => {
    const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-shutdown-"))
    dataDirs.push(dataDir)
    const first = await startServer({ DATA_DIR: dataDir })
    let ids: Array<string>
    try {
      const created = await Promise.all(Array.from({ length: 5 }, (_, i) =>
        postJson(`${first.url}/v1/animals`, { name: `Shutdown Lion ${i}`, date_of_birth: "2020-01-01", species: "lion" })
      ))
      for (const response of created) assert.strictEqual(response.status, 201, response.text)
      ids = created.map((response) => response.json().id)
      assert.strictEqual(await first.kill("SIGTERM"), 0, first.output())
    } finally {
      await first.stop()
    }
    const second = await startServer({ DATA_DIR: dataDir })
    try {
      for (const id of ids) assert.strictEqual((await request(`${second.url}/v1/animals/${id}`)).status, 200, id)
    } finally {
      await second.stop()
    }
  }, 90_000)
})
