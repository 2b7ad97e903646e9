/**
 * `Idempotency-Key` (SPEC §3 "Safe retries"): the contract on every backend,
 * expiry, the OpenAPI document and the typed client's option.
 */
import fc from "fast-check"
import { describe, it as vitestIt } from "vitest"
import { assert, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { OpenApi } from "effect/http-api"
import { Api } from "../src/Api.ts"
import { ZooClient } from "../src/Client.ts"
import { MemoryRepositories, SqlRepositories } from "../src/Repositories.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "./support/Databases.ts"
import { fetchText } from "./support/Fetch.ts"
import { baseUrl, TestServer, testApiKey } from "./support/TestServer.ts"
import { countNamed, idempotencyContract, lion, newKey, write } from "./Repo/IdempotencyContract.ts"

idempotencyContract("memory", MemoryRepositories)
idempotencyContract("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))
if (!skipPostgres) idempotencyContract("PostgreSQL", SqlRepositories.pipe(Layer.provide(postgresLayer("idempotency", { poolSize: 5 }))))

/** Keys kept for one second only. */
const shortTtl = ConfigProvider.layer(ConfigProvider.fromUnknown({ IDEMPOTENCY_TTL: "1 second" }))

for (const [backend, repositories] of [
  ["memory", MemoryRepositories],
  ["PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer()))]
] as const) {
  layer(TestServer(repositories.pipe(Layer.provide(shortTtl))), { excludeTestServices: true })(`IDEMPOTENCY_TTL: ${backend}`, (it) => {
    it.effect("an expired key is forgotten: the same key then runs a new request", () =>
      Effect.gen(function*() {
        const key = newKey()
        const name = `Ttl ${key.slice(4, 12)}`
        assert.strictEqual((yield* write("POST", "/v2/animals", { key, body: lion(name) })).status, 201)
        // Past the TTL (the sweep may or may not have run: an expired row counts as gone either way).
        yield* Effect.sleep("1500 millis")
        const later = yield* write("POST", "/v2/animals", { key, body: lion(`${name} II`) })
        assert.strictEqual(later.status, 201, later.text)
        assert.isNull(later.headers.get("idempotent-replayed"))
        assert.strictEqual(yield* countNamed(name), 2)
      }), 20_000)
  })
}

describe("OpenAPI: Idempotency-Key", () => {
  const spec = OpenApi.fromApi(Api) as any
  const operations: ReadonlyArray<readonly [string, string]> = [
    ["/v2/animals", "post"],
    ["/v1/habitats", "post"],
    ["/v2/zookeepers/{id}", "patch"],
    ["/v1/animals/{id}", "patch"],
    ["/v2/zookeepers/{id}/animals/{animal_id}", "put"],
    ["/v1/zookeepers/{id}/animals/{animal_id}", "delete"]
  ]
  vitestIt("documents the header, both problems and Idempotent-Replayed on every operation that takes a key", () => {
    for (const [path, method] of operations) {
      const operation = spec.paths[path][method]
      const header = operation.parameters.find((parameter: any) => parameter.in === "header" && parameter.name === "idempotency-key")
      assert.isDefined(header, `${method} ${path}`)
      assert.strictEqual(header.required, false)
      assert.strictEqual(header.schema.maxLength, 255)
      const problems = JSON.stringify([operation.responses["409"], operation.responses["422"]])
      assert.include(problems, "/problems/idempotency-key-in-flight", `${method} ${path}`)
      assert.include(problems, "/problems/idempotency-key-reused", `${method} ${path}`)
      const success = operation.responses[method === "post" ? "201" : method === "patch" ? "200" : "204"]
      assert.deepStrictEqual(success.headers["Idempotent-Replayed"], { $ref: "#/components/headers/Idempotent-Replayed" })
    }
  })
  vitestIt("not on reads, replacements or deletes by id", () => {
    for (const [path, method] of [["/v2/animals", "get"], ["/v2/animals/{id}", "put"], ["/v2/animals/{id}", "delete"]] as const) {
      const parameters: ReadonlyArray<any> = spec.paths[path][method].parameters ?? []
      assert.isFalse(parameters.some((parameter) => parameter.name === "idempotency-key"), `${method} ${path}`)
    }
  })
})

const ClientLayer = Layer.unwrap(Effect.map(baseUrl, (url) => ZooClient.layer({ baseUrl: url, apiKey: Redacted.make(testApiKey) })))

layer(ClientLayer.pipe(Layer.provideMerge(TestServer(MemoryRepositories))), { excludeTestServices: true })("ZooClient: idempotency-key", (it) => {
  it.effect("a key per call: the retry returns the same animal, and no second one exists", () =>
    Effect.gen(function*() {
      const zoo = yield* ZooClient
      const key = newKey()
      const name = `Client ${key.slice(4, 12)}`
      const payload = { name, date_of_birth: "2021-06-01", species: "lion" } as const
      const first = yield* zoo.animals.create({ headers: { "idempotency-key": key }, payload })
      const retry = yield* zoo.animals.create({ headers: { "idempotency-key": key }, payload })
      assert.deepStrictEqual(retry.body, first.body)
      assert.strictEqual(retry.headers.location, first.headers.location)
      assert.strictEqual(yield* countNamed(name), 1)
      const reused = yield* zoo.animals.create({ headers: { "idempotency-key": key }, payload: { ...payload, name: `${name} II` } }).pipe(
        Effect.flip
      )
      assert.strictEqual(reused._tag, "IdempotencyKeyReused")
    }))
})

/**
 * Any interleaving of retries of one keyed request — waves of concurrent
 * attempts, with or without a pause between — creates at most one animal,
 * and every answer is that animal's 201 or a 409 to come back later.
 */
for (const [backend, repositories] of [
  ["memory", MemoryRepositories],
  ["PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer()))]
] as const) {
  layer(TestServer(repositories), { excludeTestServices: true })(`property: retries of one key (${backend})`, (it) => {
    it.effect("create at most one resource", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        const send = (key: string, name: string) =>
          fetchText(`${url}/v2/animals`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": testApiKey, "idempotency-key": key },
            body: JSON.stringify(lion(name))
          })
        const waves = fc.array(fc.record({ attempts: fc.integer({ min: 1, max: 6 }), pauseMs: fc.constantFrom(0, 0, 5, 20) }), {
          minLength: 1,
          maxLength: 5
        })
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(waves, async (schedule) => {
              const key = newKey()
              const name = `Prop ${key.slice(4, 16)}`
              const answers: Array<{ status: number; text: string }> = []
              for (const wave of schedule) {
                answers.push(...await Promise.all(Array.from({ length: wave.attempts }, () => send(key, name))))
                if (wave.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, wave.pauseMs))
              }
              const created = new Set(answers.filter((answer) => answer.status === 201).map((answer) => answer.text))
              assert.isAtMost(created.size, 1)
              for (const answer of answers) assert.include([201, 409], answer.status, answer.text)
              // Once every attempt has answered, a retry gets the one outcome.
              const last = await send(key, name)
              assert.strictEqual(last.status, 201, last.text)
              if (created.size === 1) assert.strictEqual(last.text, [...created][0])
              const listed = await fetchText(`${url}/v2/animals?name=${encodeURIComponent(name)}`)
              assert.strictEqual(listed.headers.get("x-total-count"), "1")
            }),
            { numRuns: 15 }
          )
        )
      }), 120_000)
  })
}
