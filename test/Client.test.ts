/**
 * The exported typed client (`zoo-api/client`) against the real server:
 * methods, payloads, headers and problems all come from the contract.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { type AnimalId, ZooClient } from "../src/Client.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import { baseUrl, TestServer, testApiKey } from "./support/TestServer.ts"

const ClientLayer = Layer.unwrap(Effect.map(baseUrl, (url) => ZooClient.layer({ baseUrl: url, apiKey: Redacted.make(testApiKey) })))

layer(ClientLayer.pipe(Layer.provideMerge(TestServer(MemoryRepositories))), { excludeTestServices: true })("ZooClient", (it) => {
  it.effect("creates, reads and lists animals; problems are tagged errors", () =>
    Effect.gen(function*() {
      const zoo = yield* ZooClient
      const created = yield* zoo.animals.create({ headers: {}, payload: { name: "Client Cheetah", date_of_birth: "2021-06-01", species: "lion" } })
      assert.strictEqual(created.headers.location, `/v2/animals/${created.body.id}`)

      const fetched = yield* zoo.animals.get({ params: { id: created.body.id }, headers: {} })
      assert.deepStrictEqual(fetched.body, created.body)
      assert.deepStrictEqual(fetched.headers, { etag: "\"1\"", "last-modified": new Date(created.body.updated_at).toUTCString() })

      const page = yield* zoo.animals.list({ query: { name: "Client" } })
      assert.deepStrictEqual(page.body.items.map((animal) => animal.id), [created.body.id])
      assert.strictEqual(page.body.total, 1)
      assert.strictEqual(page.headers["x-total-count"], 1)

      const missing = yield* zoo.animals.get({ params: { id: "00000000-0000-4000-8000-000000000000" as AnimalId }, headers: {} }).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "AnimalNotFound")
    }))
})
