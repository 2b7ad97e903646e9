/**
 * Graceful shutdown of the real process: SIGTERM while a request is in
 * flight lets that request finish with 200, refuses new connections, closes
 * the database and exits 0.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { skipPostgres } from "./support/Databases.ts"
import { createSchema, dropSchema, holdLock, schemaUrl } from "./support/PostgresSchemas.ts"
import { request, type ServerProcess, startServer } from "./support/ServerProcess.ts"

describe.skipIf(skipPostgres)("SIGTERM (PostgreSQL)", () => {
  let schema: string
  let server: ServerProcess | undefined

  beforeAll(async () => {
    schema = await createSchema("shutdown")
  })
  afterAll(async () => {
    await server?.stop()
    await dropSchema(schema)
  })

  it("lets an in-flight request finish with 200, then exits 0", async () => {
    server = await startServer({ DATABASE_URL: schemaUrl(schema), SHUTDOWN_TIMEOUT: "10 seconds" })
    // A lock held by the test keeps the request in flight for as long as the test wants.
    const lock = await holdLock(`LOCK TABLE "${schema}".animals IN ACCESS EXCLUSIVE MODE`)
    const inFlight = request(`${server.url}/v1/animals`, { timeoutMs: 20_000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const exited = server.kill("SIGTERM")
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.isFalse(server.hasExited(), "the process waits for the request in flight")
    // A connection error is a refusal; a timeout is not (a draining server that accepts and never answers would hang clients).
    const refused = await request(`${server.url}/healthz`, { timeoutMs: 2_000 }).then(
      () => "answered",
      (error: unknown) => (error instanceof Error && error.name === "TimeoutError" ? "timed out" : "refused")
    )
    assert.strictEqual(refused, "refused", "no new connections while draining")
    await lock.release()
    const response = await inFlight
    assert.strictEqual(response.status, 200)
    assert.deepStrictEqual(response.json(), [])
    assert.strictEqual(await exited, 0, server.output())
  }, 60_000)
})
