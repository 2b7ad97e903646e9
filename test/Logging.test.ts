/**
 * What the real process writes: JSON lines, one access line per request with
 * its request id, and never a secret — not the database password, not a
 * credential header a client sends.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { skipPostgres } from "./support/Databases.ts"
import { createSchema, dropSchema, schemaUrl } from "./support/PostgresSchemas.ts"
import { postJson, request, type ServerProcess, startServer } from "./support/ServerProcess.ts"

const password = "s3cr3t-db-password"
const apiKey = "zoo_live_k3y_never_logged"

describe.skipIf(skipPostgres)("logs of the running service (PostgreSQL)", () => {
  let server: ServerProcess
  let schema: string

  beforeAll(async () => {
    schema = await createSchema("logging")
    // Trust authentication ignores the password; the service must still never print it.
    const url = new URL(schemaUrl(schema))
    url.password = password
    server = await startServer({ DATABASE_URL: url.toString(), LOG_LEVEL: "Debug" })
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
    if (schema) await dropSchema(schema)
  })

  /** Log lines are written in batches: waits, bounded, for the access line of the request with this id. */
  const accessLineOf = async (requestId: string) => {
    for (const deadline = Date.now() + 20_000; !server.output().includes(`"request_id":"${requestId}"`);) {
      if (Date.now() > deadline) throw new Error(`no access line for ${requestId} within 20 s:\n${server.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }

  it("writes JSON lines with an access line per request, carrying the request id", async () => {
    const created = await postJson(`${server.url}/v1/animals`, { name: "Logged Lion", date_of_birth: "2020-01-01", species: "lion" })
    assert.strictEqual(created.status, 201)
    const echoed = await request(`${server.url}/v1/animals/00000000-0000-4000-8000-000000000000`, {
      headers: { "x-request-id": "trace-me.42", "x-api-key": apiKey, authorization: `Bearer ${apiKey}` }
    })
    assert.strictEqual(echoed.status, 404)
    assert.strictEqual(echoed.headers.get("x-request-id"), "trace-me.42")
    assert.strictEqual(echoed.json().request_id, "trace-me.42")

    await accessLineOf("trace-me.42")
    const lines = server.output().split("\n").filter((line) => line.trim().length > 0)
    const records = lines.map((line) => JSON.parse(line) as { message: unknown; level: string; annotations: Record<string, unknown> })
    const access = records.filter((record) => record.message === "http")
    const notFound = access.find((record) => record.annotations.request_id === "trace-me.42")
    assert.isDefined(notFound, "an access line for the request")
    assert.deepInclude(notFound.annotations, { method: "GET", route: "/v1/animals/:id", status: 404 })
    assert.isNumber(notFound.annotations.duration_ms)
    assert.isTrue(access.some((record) => record.annotations.route === "/v1/animals" && record.annotations.status === 201))
  })

  it("counts the database calls in /metrics", async () => {
    const scrape = await request(`${server.url}/metrics`)
    assert.strictEqual(scrape.status, 200)
    const count = Number(/db_call_duration_seconds_count\{outcome="ok"\} (\d+)/.exec(scrape.text)?.[1] ?? 0)
    assert.isAbove(count, 0, scrape.text.slice(0, 500))
  })

  it("never writes the database password or a client's credentials", async () => {
    // This test's own requests with credentials, in the headers and in a body; the start's lines are already there.
    const requestId = `secrets-${globalThis.crypto.randomUUID()}`
    const headers = { "x-request-id": requestId, "x-api-key": apiKey, authorization: `Bearer ${apiKey}` }
    assert.strictEqual((await request(`${server.url}/v1/animals`, { headers })).status, 200)
    const refused = await request(`${server.url}/v1/animals`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ name: apiKey, date_of_birth: "2020-01-01", species: "lion", password })
    })
    assert.strictEqual(refused.status, 401)
    await accessLineOf(requestId)
    const output = server.output()
    assert.include(output, "Zoo API docs", "the start's lines are in the output")
    assert.notInclude(output, password)
    assert.notInclude(output, apiKey)
  })
})
