/**
 * Made-up credentials do not escape the rate limit (SPEC §6, issue 14 item 1):
 * a request counts against its *verified* credential, else its address, and a
 * refused credential counts against the address too. `RATE_LIMIT=5/1m`: a
 * window far longer than any test, so no result depends on timing.
 *
 * Each case has a server of its own, so the address 127.0.0.1 starts each
 * with a whole budget.
 */
import { assert, layer } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { MemoryRepositories } from "../src/Repositories.ts"
import * as RateLimit from "../src/Http/RateLimit.ts"
import { rawRequest, TestServer, testApiKey } from "./support/TestServer.ts"

const policy = { limit: 5, window: Duration.minutes(1) }
const server = () => TestServer(MemoryRepositories, { rateLimit: RateLimit.layerMemory(policy) })
const missingId = "00000000-0000-4000-8000-000000000000"

/** Twelve requests, each with credentials of its own making: their statuses. */
const twelve = (init: (i: number) => RequestInit, path = "/v1/animals") =>
  Effect.gen(function*() {
    const statuses: Array<number> = []
    for (let i = 0; i < 12; i++) statuses.push((yield* rawRequest(path, init(i))).status)
    return statuses
  })

const bogus = (i: number) => `bogus-${i}-${globalThis.crypto.randomUUID()}`

layer(server(), { excludeTestServices: true })("12 GETs, each with a made-up X-API-Key", (it) => {
  it.effect("count against the address: 5 × 200, then 429", () =>
    Effect.gen(function*() {
      const statuses = yield* twelve((i) => ({ headers: { "x-api-key": bogus(i) } }))
      assert.deepStrictEqual(statuses, [...Array(5).fill(200), ...Array(7).fill(429)])
    }))
})

layer(server(), { excludeTestServices: true })("12 GETs, each with a made-up bearer token", (it) => {
  it.effect("count against the address: 5 × 200, then 429", () =>
    Effect.gen(function*() {
      const statuses = yield* twelve((i) => ({ headers: { authorization: `Bearer ${bogus(i)}` } }))
      assert.deepStrictEqual(statuses, [...Array(5).fill(200), ...Array(7).fill(429)])
    }))
})

layer(server(), { excludeTestServices: true })("12 DELETEs with wrong keys", (it) => {
  it.effect("guessing keys is not free: 5 × 401, then 429", () =>
    Effect.gen(function*() {
      const statuses = yield* twelve((i) => ({ method: "DELETE", headers: { "x-api-key": bogus(i) } }), `/v1/animals/${missingId}`)
      assert.deepStrictEqual(statuses, [...Array(5).fill(401), ...Array(7).fill(429)])
    }))
})

layer(server(), { excludeTestServices: true })("a verified key", (it) => {
  it.effect("has a budget of its own, apart from its address's", () =>
    Effect.gen(function*() {
      // The address spends its budget with made-up keys...
      const statuses = yield* twelve((i) => ({ headers: { "x-api-key": bogus(i) } }))
      assert.strictEqual(statuses.at(-1), 429)
      // ...and the real key, from the same address, still has all of its own.
      const response = yield* rawRequest("/v1/animals", { headers: { "x-api-key": testApiKey } })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("ratelimit-remaining"), "4")
      // A wrong key next to it does not: it counts against the address, which is spent.
      assert.strictEqual((yield* rawRequest("/v1/animals", { headers: { "x-api-key": `${testApiKey}x` } })).status, 429)
    }))
})
