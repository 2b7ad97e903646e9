/**
 * Scaling out, for real: two service processes on one PostgreSQL (a schema of
 * this test's) and one Redis. What one replica writes, the other reads; the
 * rate limit budget is one, not one per replica. (That concurrent starts
 * migrate once is Durability.test.ts's.)
 */
import * as Http from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { skipPostgres } from "./support/Databases.ts"
import { createSchema, dropSchema, schemaUrl } from "./support/PostgresSchemas.ts"
import { request, type ServerProcess, startServer } from "./support/ServerProcess.ts"

const redisUrl = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379"

/** A loopback address other than 127.0.0.1 (all of 127/8 is loopback on Linux). */
const randomLoopback = () => `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`

/** A JSON POST sent from `localAddress`; resolves with its status (bounded). */
const postFrom = (localAddress: string, url: string, headers: Record<string, string>, body: string) =>
  new Promise<{ readonly status: number }>((resolve, reject) => {
    const request = Http.request(url, {
      method: "POST",
      localAddress,
      timeout: 10_000,
      headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) }
    }, (response) => {
      response.resume()
      response.once("end", () => resolve({ status: response.statusCode! }))
    })
    request.once("timeout", () => request.destroy(new Error(`POST ${url} timed out`)))
    request.once("error", reject)
    request.end(body)
  })

describe.skipIf(skipPostgres)("two replicas on one PostgreSQL and one Redis", () => {
  let schema: string
  let replicas: ReadonlyArray<ServerProcess> = []
  // A key of this run alone: the rate limit counts per client in the shared Redis.
  const apiKey = `replicas-${globalThis.crypto.randomUUID()}`
  // The rate limit test's own client: a configured key (a made-up one would count against the shared address).
  const budgetKey = `budget-${globalThis.crypto.randomUUID()}`

  beforeAll(async () => {
    schema = await createSchema("replicas")
    const env = { DATABASE_URL: schemaUrl(schema), REDIS_URL: redisUrl, RATE_LIMIT: "6/1h", API_KEYS: `${apiKey},${budgetKey}` }
    replicas = await Promise.all([startServer(env), startServer(env)])
  }, 90_000)

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()))
    if (schema) await dropSchema(schema)
  })

  it("a write through one replica is read through the other", async () => {
    const [a, b] = replicas as [ServerProcess, ServerProcess]
    // This run's servers know only this run's key (a key of its own: the rate limit counts per key in the shared Redis).
    // From a loopback address of its own: a made-up key counts against the address, and 127.0.0.1's budget in this
    // Redis is shared with every other run for the hour.
    const refused = await postFrom(randomLoopback(), `${a.url}/v1/animals`, {
      "x-api-key": `unknown-${globalThis.crypto.randomUUID()}`
    }, JSON.stringify({ name: "Replicated Rhino", date_of_birth: "2018-08-08", species: "elephant" }))
    assert.strictEqual(refused.status, 401)
    const write = await request(`${a.url}/v1/animals`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": apiKey },
      body: JSON.stringify({ name: "Replicated Rhino", date_of_birth: "2018-08-08", species: "elephant" })
    })
    assert.strictEqual(write.status, 201)
    // With the key: an anonymous read would count against the address, shared by every run on this Redis.
    const read = await request(`${b.url}${write.headers.get("location")}`, { headers: { "x-api-key": apiKey } })
    assert.strictEqual(read.status, 200)
    assert.deepStrictEqual(read.json(), write.json())
  })

  it("share one rate limit budget per client", async () => {
    const [a, b] = replicas as [ServerProcess, ServerProcess]
    // A client of this test's own: its whole budget, 6 an hour, is here. Counted per replica (4 each), none of the
    // 8 would be refused.
    const headers = { "x-api-key": budgetKey }
    const statuses: Array<number> = []
    for (let i = 0; i < 8; i++) {
      const replica = i % 2 === 0 ? a : b
      statuses.push((await request(`${replica.url}/v1/animals/00000000-0000-4000-8000-00000000000${i}`, { headers })).status)
    }
    assert.deepStrictEqual(statuses, [404, 404, 404, 404, 404, 404, 429, 429])
  })
})
