/**
 * Handler tests without a socket: the typed client derived from `Api.ts`
 * talks to the handlers in memory (`HttpApiTest`), on the in-memory
 * repository. Also proves the contract round-trips through a generated client.
 */
import { assert, layer } from "@effect/vitest"
import { NodeCrypto } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import { HttpApiMiddleware, HttpApiTest } from "effect/http-api"
import { AnimalsHttp } from "../src/Animals/AnimalsHttp.ts"
import { AnimalsRepository } from "../src/Animals/AnimalsRepository.ts"
import { Api } from "../src/Api.ts"
import type { AnimalId } from "../src/Animals/Animal.ts"
import { HttpDates } from "../src/Http/HttpDates.ts"
import * as Idempotency from "../src/Http/Idempotency.ts"
import { IdempotencyStore } from "../src/Repo/IdempotencyStore.ts"
import { WritesAllowed } from "./support/Credentials.ts"

const makeClient = HttpApiTest.groups(Api, ["animals"])

const TestLayer = Layer.mergeAll(AnimalsHttp.pipe(Layer.provide([AnimalsRepository.layerMemory, HttpDates.layer, NodeCrypto.layerMac])), HttpServer.layerServices).pipe(
  Layer.provideMerge(HttpApiMiddleware.layerProblemDetails({ includeDetails: true })),
  // The handlers are under test here, not access control (see Auth.test.ts) nor retries (Idempotency*.test.ts).
  Layer.provideMerge(WritesAllowed),
  Layer.provideMerge(Idempotency.layer.pipe(Layer.provide([IdempotencyStore.layerMemory, NodeCrypto.layerDigest])))
)

const missing = "00000000-0000-4000-8000-000000000000" as AnimalId

layer(TestLayer)("Animals handlers (typed client, in memory)", (it) => {
  it.effect("create, get, list, replace, patch, delete", () =>
    Effect.gen(function*() {
      const client = yield* makeClient
      const created = yield* client.animals.create({
        headers: {},
        payload: { name: "Zara Zebra", date_of_birth: "2017-03-03", species: "zebra" }
      })
      assert.strictEqual(created.headers.location, `/v2/animals/${created.body.id}`)
      assert.strictEqual(created.body.version, 1)
      const id = created.body.id

      const fetched = yield* client.animals.get({ params: { id }, headers: {} })
      assert.deepStrictEqual(fetched.body, created.body)

      const list = yield* client.animals.list({ query: {} })
      assert.isTrue(list.body.items.some((animal) => animal.id === id))

      const replaced = yield* client.animals.replace({
        params: { id },
        headers: {},
        payload: { name: "Zara the Zebra", date_of_birth: "2017-03-03", species: "zebra", nickname: "Z" }
      })
      assert.strictEqual(replaced.body.nickname, "Z")
      assert.strictEqual(replaced.headers.etag, "\"2\"")

      const patched = yield* client.animals.patch({ params: { id }, headers: {}, payload: { nickname: null } })
      assert.isUndefined(patched.body.nickname)
      assert.strictEqual(patched.body.name, "Zara the Zebra")

      yield* client.animals.delete({ params: { id }, headers: {} })
      const gone = yield* client.animals.get({ params: { id }, headers: {} }).pipe(Effect.flip)
      assert.strictEqual(gone._tag, "AnimalNotFound")
    }))

  it.effect("the typed client sees domain problems as tagged errors", () =>
    Effect.gen(function*() {
      const client = yield* makeClient
      const notFound = yield* client.animals.delete({ params: { id: missing }, headers: {} }).pipe(Effect.flip)
      assert.strictEqual(notFound._tag, "AnimalNotFound")
      assert.deepInclude(notFound, { id: missing, status: 404 })

      const payload = { id: "1b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f" as AnimalId, name: "Panda Po", date_of_birth: "2015-05-05", species: "panda" } as const
      yield* client.animals.create({ headers: {}, payload })
      const conflict = yield* client.animals.create({ headers: {}, payload }).pipe(Effect.flip)
      assert.strictEqual(conflict._tag, "AnimalAlreadyExists")
    }))
})
