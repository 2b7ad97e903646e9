/**
 * Rate limiting (SPEC §6): `RATE_LIMIT=5/1m` on a real server, counted in
 * memory, then in the real Redis shared by two server instances. Windows are
 * a minute long, so that no budget comes back while a slow machine runs a
 * test; the return of a budget is shown with effect's `TestClock`.
 *
 * Redis is expected on 127.0.0.1:6379 (`REDIS_TEST_URL` to use another). It is
 * required under `CI=true`; locally, without it, the Redis tests are skipped
 * with a message.
 */
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Logger, Option, Redacted, Schedule } from "effect"
import { TestClock } from "effect/testing"
import type { Digest } from "effect/crypto"
import { HttpServer } from "effect/http"
import { OpenApi } from "effect/http-api"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { createClient } from "redis"
import { Api } from "../src/Api.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import * as WriteAccessLive from "../src/Auth/WriteAccessLive.ts"
import * as RateLimit from "../src/Http/RateLimit.ts"
import * as Redis from "../src/Redis.ts"
import { exitWithin, freePort, request as processRequest, spawnServer, startServer } from "./support/ServerProcess.ts"
import { startTcpProxy } from "./support/TcpProxy.ts"
import { baseUrl, rawRequest, TestServer, testApiKey } from "./support/TestServer.ts"

const policy = { limit: 5, window: Duration.minutes(1) }

/**
 * Keys the test servers accept. A client is a *verified* credential (a made-up
 * key counts against its address: test/HardeningRateLimit.test.ts), so each
 * test takes a configured key of its own, and tests never share a budget.
 */
const keys = Array.from({ length: 32 }, (_, i) => `key-${i}-${globalThis.crypto.randomUUID()}`)
let keysTaken = 0
const freshKey = () => {
  const key = keys[keysTaken++]
  if (key === undefined) throw new Error("more tests than keys: add keys")
  return key
}
const writeAccess = WriteAccessLive.layer({ apiKeys: keys.map((key) => Redacted.make(key)), tokens: Option.none() }).pipe(Layer.orDie)

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(path, { headers })

const headerNumber = (headers: Headers, name: string) => Number(headers.get(name))

/** A random loopback address other than 127.0.0.1 (all of 127/8 is loopback on Linux): a client address of a test's own. */
const loopbackAddress = () => `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`

/** The status of a GET sent from `localAddress`, bounded in time. */
const statusFrom = (localAddress: string, url: string) =>
  new Promise<number>((resolve, reject) => {
    const request = Http.get(url, { localAddress, timeout: 10_000 }, (response) => {
      response.resume()
      response.once("end", () => resolve(response.statusCode!))
    })
    request.once("timeout", () => request.destroy(new Error(`GET ${url} from ${localAddress} timed out`)))
    request.once("error", reject)
  })

layer(TestServer(MemoryRepositories, { rateLimit: RateLimit.layerMemory(policy) }, writeAccess), {
  excludeTestServices: true
})("rate limit in memory: 5/1m", (it) => {
  it.effect("five requests pass with RateLimit-* headers; the sixth is a 429 problem with Retry-After", () =>
    Effect.gen(function*() {
      const headers = { "x-api-key": freshKey() }
      const resets: Array<number> = []
      for (let i = 1; i <= 5; i++) {
        const response = yield* get("/v1/animals", headers)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers.get("ratelimit-limit"), "5")
        assert.strictEqual(headerNumber(response.headers, "ratelimit-remaining"), 5 - i)
        resets.push(headerNumber(response.headers, "ratelimit-reset"))
      }
      // Whole seconds until the whole budget is back: within the window, later with every request (each adds 12 s).
      for (const reset of resets) assert.isTrue(reset >= 1 && reset <= 60, `RateLimit-Reset ${resets.join(", ")}`)
      assert.deepStrictEqual(resets, [...resets].sort((a, b) => a - b), `RateLimit-Reset ${resets.join(", ")}`)
      assert.isAbove(resets[4]!, resets[0]!, `RateLimit-Reset ${resets.join(", ")}`)
      const refused = yield* get("/v1/animals", headers)
      assert.strictEqual(refused.status, 429)
      assert.strictEqual(refused.headers.get("content-type"), "application/problem+json")
      assert.strictEqual(refused.headers.get("cache-control"), "no-store")
      const retryAfter = headerNumber(refused.headers, "retry-after")
      assert.isTrue(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)
      assert.strictEqual(refused.headers.get("ratelimit-limit"), "5")
      assert.strictEqual(refused.headers.get("ratelimit-remaining"), "0")
      assert.strictEqual(headerNumber(refused.headers, "ratelimit-reset"), retryAfter)
      assert.deepInclude(refused.json(), {
        type: "/problems/too-many-requests",
        title: "Too Many Requests",
        status: 429,
        instance: "/v1/animals",
        request_id: refused.headers.get("x-request-id")
      })
    }))

  it.effect("every key has a budget of its own", () =>
    Effect.gen(function*() {
      const spent = { "x-api-key": freshKey() }
      for (let i = 0; i < 6; i++) yield* get("/v1/animals", spent)
      assert.strictEqual((yield* get("/v1/animals", spent)).status, 429)

      // Another key starts afresh.
      const response = yield* get("/v1/animals", { "x-api-key": freshKey() })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("ratelimit-remaining"), "4")
    }))

  it.effect("a client without credentials counts by its address", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      // Two loopback addresses of this test's own: their budgets are nobody else's.
      const [spender, other] = [loopbackAddress(), loopbackAddress()]
      const statuses: Array<number> = []
      for (let i = 0; i < 6; i++) statuses.push(yield* Effect.promise(() => statusFrom(spender, `${url}/v1/habitats`)))
      assert.deepStrictEqual(statuses, [200, 200, 200, 200, 200, 429])
      assert.strictEqual(yield* Effect.promise(() => statusFrom(other, `${url}/v1/habitats`)), 200)
    }))

  it.effect("the limit applies to every path and method, unknown paths and errors included", () =>
    Effect.gen(function*() {
      const headers = { "x-api-key": freshKey() }
      const statuses: Array<number> = []
      for (const path of ["/v1/animals", "/nowhere", "/v1/animals/not-a-uuid", "/v1/zookeepers", "/v1/habitats"]) {
        statuses.push((yield* get(path, headers)).status)
      }
      assert.deepStrictEqual(statuses, [200, 404, 400, 200, 200])
      const refused = yield* rawRequest("/v1/animals", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" })
      assert.strictEqual(refused.status, 429)
    }))

  it.effect("probes, metrics, the document and the docs are never limited, and carry no RateLimit headers", () =>
    Effect.gen(function*() {
      const headers = { "x-api-key": freshKey() }
      for (let i = 0; i < 8; i++) {
        for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]) {
          const response = yield* get(path, headers)
          assert.strictEqual(response.status, 200, path)
          assert.isNull(response.headers.get("ratelimit-limit"), path)
        }
      }
      assert.strictEqual((yield* get("/v1/animals", headers)).headers.get("ratelimit-remaining"), "4")
    }))

})

describe("rate limit in memory, on the test clock", () => {
  it.effect("the budget comes back once the window is over, not before", () =>
    Effect.gen(function*() {
      const rateLimit = yield* RateLimit.RateLimit
      // A client as the edge names it (a digest of a verified credential, else the address).
      const client = `key:${globalThis.crypto.randomUUID()}`
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* rateLimit.consume(client))._tag, "Allowed")
      const refused = yield* rateLimit.consume(client)
      assert.strictEqual(refused._tag, "Exceeded")
      assert.strictEqual(refused._tag === "Exceeded" && refused.retryAfter, 60)
      yield* TestClock.adjust(Duration.seconds(59))
      assert.strictEqual((yield* rateLimit.consume(client))._tag, "Exceeded", "a second before the window is over")
      yield* TestClock.adjust(Duration.seconds(1))
      const again = yield* rateLimit.consume(client)
      assert.deepStrictEqual(again, { _tag: "Allowed", headers: { "ratelimit-limit": "5", "ratelimit-remaining": "4", "ratelimit-reset": "12" } })
    }).pipe(Effect.provide(RateLimit.layerMemory(policy))))
})

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("rate limit off (the default)", (it) => {
  it.effect("no RateLimit headers, no 429", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 20; i++) {
        const response = yield* get("/v1/animals")
        assert.strictEqual(response.status, 200)
        assert.isNull(response.headers.get("ratelimit-limit"))
      }
    }))
})

describe("rate limit in the OpenAPI document", () => {
  const spec = OpenApi.fromApi(Api) as any

  it("every operation but the probes documents 429 with Retry-After, and RateLimit-* on its 2xx and 4xx responses", () => {
    const tooMany = spec.components.responses.TooManyRequests
    assert.includeMembers(Object.keys(tooMany.headers), ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
    assert.strictEqual(tooMany.content["application/problem+json"].schema.$ref, "#/components/schemas/TooManyRequestsEncoded")
    assert.strictEqual(tooMany.content["application/problem+json"].example.status, 429)
    let operations = 0
    for (const [path, methods] of Object.entries<Record<string, any>>(spec.paths)) {
      for (const [method, operation] of Object.entries<any>(methods)) {
        const name = `${method.toUpperCase()} ${path}`
        if (path === "/healthz" || path === "/readyz") {
          assert.isUndefined(operation.responses["429"], name)
          continue
        }
        operations++
        assert.deepStrictEqual(operation.responses["429"], { $ref: "#/components/responses/TooManyRequests" }, name)
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          if (/^[24]/.test(status) && response.$ref === undefined) {
            assert.includeMembers(Object.keys(response.headers ?? {}), ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"], `${name} ${status}`)
          }
        }
      }
    }
    assert.isAbove(operations, 20)
  })
})

// ---------------------------------------------------------------------------
// Replicas: memory counts per process, Redis is shared
// ---------------------------------------------------------------------------

const redisUrl = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379"

/** Whether something accepts a TCP connection at the URL's host and port within a second. */
const reachable = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = Net.connect({ host: hostname, port: Number(port || 6379), timeout: 1_000 })
    const settle = (up: boolean) => () => {
      socket.destroy()
      resolve(up)
    }
    socket.once("connect", settle(true)).once("error", settle(false)).once("timeout", settle(false))
  })

const redisUp = await reachable(redisUrl)
if (!redisUp && process.env.CI) {
  throw new Error(`Redis is required under CI=true (${redisUrl} is unreachable): the shared rate limit tests may not be skipped`)
}
if (!redisUp) console.error(`Redis rate limit tests skipped: nothing answers at ${redisUrl}`)

/** Keys of this run only; deleted at the end. */
const prefix = `zoo-api-test:${globalThis.crypto.randomUUID()}:`


const urlOf = (context: Context.Context<HttpServer.HttpServer>) => {
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP server")
  return `http://127.0.0.1:${address.port}`
}

/**
 * Starts a server with a rate limit of its own (and, for Redis, a connection
 * of its own), as a replica has: the layers are made afresh at each start, so
 * two servers share nothing in the process. Yields its base URL.
 */
const replica = (rateLimit: () => Layer.Layer<RateLimit.RateLimit, unknown, Digest.Digest>, logs?: Array<string>) =>
  Effect.suspend(() => {
    const server = TestServer(MemoryRepositories, { rateLimit: rateLimit() }, writeAccess)
    // Warnings kept in `logs` (as "LEVEL message"), instead of the test output.
    const logged = logs === undefined ? server : server.pipe(Layer.provide(Logger.layer([
      Logger.make((options) => void logs.push(`${options.logLevel} ${[options.message].flat().join(" ")}`))
    ])))
    return Effect.map(Layer.build(logged), urlOf)
  })

const redisReplica = replica(() => RateLimit.layerRedis(policy, { prefix }).pipe(Layer.provide(Redis.layer(redisUrl))))

const fetchStatus = (url: string, headers: Record<string, string>) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) })
    await response.arrayBuffer()
    return { status: response.status, remaining: response.headers.get("ratelimit-remaining") }
  })

describe("rate limit in memory, two instances", () => {
  it.live("each counts its own 5/1m: memory is per process (hence Redis for replicas)", () =>
    Effect.gen(function*() {
      const memoryReplica = replica(() => RateLimit.layerMemory(policy))
      const first = yield* memoryReplica
      const second = yield* memoryReplica
      const headers = { "x-api-key": freshKey() }
      const statuses: Array<number> = []
      for (const url of [first, first, first, first, first, first, second]) statuses.push((yield* fetchStatus(`${url}/v1/animals`, headers)).status)
      assert.deepStrictEqual(statuses, [200, 200, 200, 200, 200, 429, 200])
    }).pipe(Effect.scoped))
})

describe.skipIf(!redisUp)("rate limit in Redis", () => {
  it.live("two instances share one budget: requests to either count against the same 5/1m", () =>
    Effect.gen(function*() {
      const first = yield* redisReplica
      const second = yield* redisReplica
      assert.notStrictEqual(first, second)
      const headers = { "x-api-key": freshKey() }
      const seen: Array<{ status: number; remaining: string | null }> = []
      for (const url of [first, second, first, second, first, second, first]) seen.push(yield* fetchStatus(`${url}/v1/animals`, headers))
      assert.deepStrictEqual(seen.map(({ status }) => status), [200, 200, 200, 200, 200, 429, 429])
      assert.deepStrictEqual(seen.slice(0, 5).map(({ remaining }) => remaining), ["4", "3", "2", "1", "0"])
      // Another client still has its whole budget, on both.
      assert.strictEqual((yield* fetchStatus(`${second}/v1/animals`, { "x-api-key": freshKey() })).status, 200)
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(deleteRunKeys))))

  /** A server whose Redis goes through a proxy the test can cut. */
  const behindProxy = Effect.gen(function*() {
    const target = new URL(redisUrl)
    const proxy = yield* Effect.acquireRelease(
      Effect.promise(() => startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) })),
      (proxy) => Effect.promise(proxy.close)
    )
    const logs: Array<string> = []
    const url = yield* replica(() => RateLimit.layerRedis(policy, { prefix }).pipe(Layer.provide(Redis.layer(`redis://127.0.0.1:${proxy.port}`))), logs)
    /** The rate limit's outage warnings logged so far. */
    const outageWarnings = () => logs.filter((line) => line.startsWith("Warn Rate limit store unavailable"))
    return { proxy, url: `${url}/v1/animals`, outageWarnings }
  })

  /** `count` requests in a row: their statuses, `RateLimit-Remaining` headers and the time they took. */
  const burst = (url: string, headers: Record<string, string>, count: number) =>
    Effect.gen(function*() {
      const started = performance.now()
      const seen: Array<{ status: number; remaining: string | null }> = []
      for (let i = 0; i < count; i++) seen.push(yield* fetchStatus(url, headers))
      return { seen, ms: performance.now() - started }
    })

  it.live("Redis down: requests are served without a limit (fail open), one warning per outage; once it is back, limited again", () =>
    Effect.gen(function*() {
      const { outageWarnings, proxy, url } = yield* behindProxy
      const headers = { "x-api-key": freshKey() }
      assert.strictEqual((yield* fetchStatus(url, headers)).remaining, "4")

      yield* Effect.promise(() => proxy.cut("refuse"))
      const down = yield* burst(url, headers, 10)
      assert.deepStrictEqual(down.seen, Array(10).fill({ status: 200, remaining: null }))
      assert.lengthOf(outageWarnings(), 1, "one warning for the outage, not one per request")

      yield* Effect.promise(() => proxy.restore())
      // The client reconnects with a backoff of at most 2 s; then the budget counts again (Redis kept the count)
      // and runs out: the sixth request of this key is refused.
      const back = yield* fetchStatus(url, headers).pipe(
        Effect.repeat({ until: ({ remaining }) => remaining !== null, schedule: Schedule.spaced("100 millis") }),
        Effect.timeout("20 seconds")
      )
      assert.strictEqual(back.status, 200)
      const rest = yield* burst(url, headers, Number(back.remaining) + 1)
      assert.deepStrictEqual(rest.seen.map(({ status }) => status), [...Array(Number(back.remaining)).fill(200), 429])
      assert.lengthOf(outageWarnings(), 1)
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(deleteRunKeys))))

  it.live("Redis hanging: a request waits for the store timeout, then is served without a limit; so are the next ones, with one warning", () =>
    Effect.gen(function*() {
      const { outageWarnings, proxy, url } = yield* behindProxy
      const headers = { "x-api-key": freshKey() }
      assert.strictEqual((yield* fetchStatus(url, headers)).remaining, "4")

      yield* Effect.promise(() => proxy.cut("freeze"))
      const first = yield* burst(url, headers, 1)
      assert.deepStrictEqual(first.seen, [{ status: 200, remaining: null }])
      // A timeout never fires early: the request waited for the store's 250 ms.
      assert.isAtLeast(first.ms, 200, `the first request waited ${first.ms.toFixed(0)} ms`)
      const next = yield* burst(url, headers, 10)
      assert.deepStrictEqual(next.seen, Array(10).fill({ status: 200, remaining: null }))
      assert.lengthOf(outageWarnings(), 1)
      yield* Effect.promise(() => proxy.restore())
    }).pipe(Effect.scoped, Effect.ensuring(Effect.promise(deleteRunKeys))))
})

/** Removes every key this run wrote (they would expire within a minute anyway). */
async function deleteRunKeys() {
  const client = createClient({ url: redisUrl })
  client.on("error", () => {})
  try {
    await client.connect()
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } finally {
    client.destroy()
  }
}

// ---------------------------------------------------------------------------
// The running service: settings from the environment
// ---------------------------------------------------------------------------

describe("rate limit in the running service", () => {
  const dataDirs: Array<string> = []
  const dataDir = () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-rate-limit-"))
    dataDirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dataDirs) Fs.rmSync(dir, { recursive: true, force: true })
  })

  it(`RATE_LIMIT=3/3m${redisUp ? " with REDIS_URL" : ""}: the fourth request in a row is a 429`, async () => {
    // Each request holds its client's counter for window / limit (a minute here): no slow request lets it lapse.
    // A key of this run's own: the default key prefix is shared with any other run against this Redis.
    const headers = { "x-api-key": freshKey() }
    const server = await startServer({
      DATA_DIR: dataDir(),
      RATE_LIMIT: "3/3m",
      API_KEYS: `${testApiKey},${headers["x-api-key"]}`,
      ...(redisUp && { REDIS_URL: redisUrl })
    })
    try {
      await processRequest(`${server.url}/v1/animals`) // warm up, as another client (the address)
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) statuses.push((await processRequest(`${server.url}/v1/animals`, { headers })).status)
      assert.deepStrictEqual(statuses, [200, 200, 200, 429], server.output())
    } finally {
      await server.stop()
    }
    // Read once stopped: log lines are written in batches, the last ones at exit.
    assert.notInclude(server.output(), headers["x-api-key"], "the raw key is never logged")
  }, 60_000)

  it("REDIS_URL unreachable at start: the start fails with one line, exit 1", async () => {
    const server = spawnServer({ DATA_DIR: dataDir(), RATE_LIMIT: "3/1s", REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, await freePort())
    const code = await exitWithin(server, 45_000)
    assert.strictEqual(code, 1, server.output())
    assert.match(server.output(), /Zoo API could not start: cannot reach Redis \(REDIS_URL\): .*ECONNREFUSED/)
    assert.notInclude(server.output(), "    at ", "no stack trace")
  }, 60_000)
})
