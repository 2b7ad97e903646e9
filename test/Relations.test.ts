/**
 * Relations over real HTTP: a habitat's animals, a zookeeper's animals
 * (assigned and unassigned), and the problems that come from references
 * between collections — an unknown `habitat_id` (422), an occupied habitat
 * (409), unique fields (409). Run on the in-memory repositories and on SQL
 * (PGlite), which must answer alike.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { MemoryRepositories, type Repositories, SqlRepositories } from "../src/Repositories.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "./support/Databases.ts"
import { jsonBody, request, TestServer } from "./support/TestServer.ts"

const problemJson = "application/problem+json"
const missing = "00000000-0000-4000-8000-000000000000"
const unique = () => globalThis.crypto.randomUUID().slice(0, 8)

const post = (collection: string, body: unknown) =>
  Effect.map(request(`/v1/${collection}`, { method: "POST", ...jsonBody(body) }), (response) => {
    assert.strictEqual(response.status, 201, response.text)
    return response.json()
  })
const newHabitat = (overrides: Record<string, unknown> = {}) =>
  post("habitats", { name: `Savanna ${unique()}`, climate: "arid", capacity: 10, ...overrides })
const newZookeeper = (overrides: Record<string, unknown> = {}) =>
  post("zookeepers", { name: "Sam Keeper", email: `sam.${unique()}@zoo.example`, hired_on: "2020-02-02", ...overrides })
const newAnimal = (overrides: Record<string, unknown> = {}) =>
  post("animals", { name: "Ellie Elephant", date_of_birth: "2010-10-10", species: "elephant", ...overrides })

const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)

const assertProblem = (response: { status: number; headers: Headers; json: () => any }, status: number, type: string) => {
  assert.strictEqual(response.status, status)
  assert.strictEqual(response.headers.get("content-type"), problemJson)
  assert.deepInclude(response.json(), { status, type })
}

const relationsSuite = <E>(name: string, repositories: Layer.Layer<Repositories, E>) =>
  layer(TestServer(repositories), { excludeTestServices: true })(`HTTP relations: ${name}`, (it) => {
    describe("GET /v1/habitats/{id}/animals", () => {
      it.effect("lists the animals living there, as the animals collection lists", () =>
        Effect.gen(function*() {
          const savanna = yield* newHabitat()
          const elsewhere = yield* newHabitat()
          const ellie = yield* newAnimal({ habitat_id: savanna.id })
          const leo = yield* newAnimal({ name: "Leo the Lion", species: "lion", habitat_id: savanna.id })
          yield* newAnimal({ habitat_id: elsewhere.id })
          yield* newAnimal()

          const response = yield* request(`/v1/habitats/${savanna.id}/animals`)
          assert.strictEqual(response.status, 200)
          assert.match(response.headers.get("content-type")!, /^application\/json/)
          assert.deepStrictEqual(ids(response.json()), [ellie.id, leo.id])
          assert.strictEqual(response.headers.get("x-total-count"), "2")
          assert.isNotNull(response.headers.get("last-modified"))
          assert.deepStrictEqual(response.json()[0], ellie)

          const lions = yield* request(`/v1/habitats/${savanna.id}/animals?species=lion`)
          assert.deepStrictEqual(ids(lions.json()), [leo.id])
          const empty = yield* request(`/v1/habitats/${(yield* newHabitat()).id}/animals`)
          assert.deepStrictEqual(empty.json(), [])
          assert.strictEqual(empty.headers.get("x-total-count"), "0")
        }))

      it.effect("pages with a next link under the habitat's path, keeping filters and sort", () =>
        Effect.gen(function*() {
          const savanna = yield* newHabitat()
          const made = yield* Effect.forEach(["Aaron", "Berta", "Cecil"], (prefix) =>
            newAnimal({ name: `${prefix} Elephant`, habitat_id: savanna.id }))
          yield* newAnimal({ name: "Bruno Lion", species: "lion", habitat_id: savanna.id })

          const first = yield* request(`/v1/habitats/${savanna.id}/animals?species=elephant&sort=-name&limit=2`)
          assert.deepStrictEqual(ids(first.json()), [made[2].id, made[1].id])
          assert.strictEqual(first.headers.get("x-total-count"), "3")
          // Under /v1 the Link header also names the successor version (see Versions.test.ts).
          const next = /<([^>]+)>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1]
          assert.isDefined(next)
          const url = new URL(next ?? "", "http://zoo.example")
          assert.strictEqual(url.pathname, `/v1/habitats/${savanna.id}/animals`)
          assert.isFalse(url.searchParams.has("habitat_id"), "the path, not the query, names the habitat")

          const second = yield* request(`${url.pathname}${url.search}`)
          assert.strictEqual(second.status, 200)
          assert.deepStrictEqual(ids(second.json()), [made[0].id])
          assert.notInclude(second.headers.get("link") ?? "", "rel=\"next\"")
        }))

      it.effect("an unknown habitat is a 404 problem, an id that is not a UUID a 400", () =>
        Effect.gen(function*() {
          assertProblem(yield* request(`/v1/habitats/${missing}/animals`), 404, "/problems/habitat-not-found")
          const invalid = yield* request("/v1/habitats/not-a-uuid/animals")
          assert.strictEqual(invalid.status, 400)
          assert.deepStrictEqual(invalid.json().errors.map((e: { path: Array<string> }) => e.path), [["params", "id"]])
        }))

      it.effect("HEAD answers like GET without a body; OPTIONS and other methods name GET, HEAD, OPTIONS", () =>
        Effect.gen(function*() {
          const savanna = yield* newHabitat()
          yield* newAnimal({ habitat_id: savanna.id })
          const path = `/v1/habitats/${savanna.id}/animals`
          const head = yield* request(path, { method: "HEAD" })
          assert.strictEqual(head.status, 200)
          assert.strictEqual(head.headers.get("x-total-count"), "1")
          assert.strictEqual(head.text, "")

          const options = yield* request(path, { method: "OPTIONS" })
          assert.strictEqual(options.headers.get("allow"), "GET, HEAD, OPTIONS")
          const post = yield* request(path, { method: "POST", ...jsonBody({}) })
          assert.strictEqual(post.status, 405)
          assert.strictEqual(post.headers.get("allow"), "GET, HEAD, OPTIONS")
        }))
    })

    describe("a zookeeper's animals", () => {
      it.effect("PUT assigns and DELETE unassigns, both 204 and idempotent; GET lists the animals in care", () =>
        Effect.gen(function*() {
          const sam = yield* newZookeeper()
          const ellie = yield* newAnimal()
          const leo = yield* newAnimal({ name: "Leo the Lion", species: "lion" })
          const care = (animal: { id: string }) => `/v1/zookeepers/${sam.id}/animals/${animal.id}`

          for (const animal of [ellie, ellie, leo]) {
            const assigned = yield* request(care(animal), { method: "PUT" })
            assert.strictEqual(assigned.status, 204)
            assert.strictEqual(assigned.text, "")
          }
          const list = yield* request(`/v1/zookeepers/${sam.id}/animals`)
          assert.strictEqual(list.status, 200)
          assert.deepStrictEqual(ids(list.json()), [ellie.id, leo.id])
          assert.strictEqual(list.headers.get("x-total-count"), "2")
          // The same animals, from the animals collection's own filter.
          assert.deepStrictEqual(ids((yield* request(`/v1/animals?zookeeper_id=${sam.id}`)).json()), [ellie.id, leo.id])

          for (const _ of [1, 2]) assert.strictEqual((yield* request(care(ellie), { method: "DELETE" })).status, 204)
          assert.deepStrictEqual(ids((yield* request(`/v1/zookeepers/${sam.id}/animals`)).json()), [leo.id])
        }))

      it.effect("an unknown zookeeper or animal is a 404 problem naming it, on PUT, DELETE and GET", () =>
        Effect.gen(function*() {
          const sam = yield* newZookeeper()
          const ellie = yield* newAnimal()
          for (const method of ["PUT", "DELETE"]) {
            const noKeeper = yield* request(`/v1/zookeepers/${missing}/animals/${ellie.id}`, { method })
            assertProblem(noKeeper, 404, "/problems/zookeeper-not-found")
            assert.strictEqual(noKeeper.json().id, missing)
            const noAnimal = yield* request(`/v1/zookeepers/${sam.id}/animals/${missing}`, { method })
            assertProblem(noAnimal, 404, "/problems/animal-not-found")
            assert.strictEqual(noAnimal.json().id, missing)
          }
          assertProblem(yield* request(`/v1/zookeepers/${missing}/animals`), 404, "/problems/zookeeper-not-found")
          const invalid = yield* request(`/v1/zookeepers/${sam.id}/animals/not-a-uuid`, { method: "PUT" })
          assert.strictEqual(invalid.status, 400)
          assert.deepStrictEqual(invalid.json().errors.map((e: { path: Array<string> }) => e.path), [["params", "animal_id"]])
        }))

      it.effect("deleting the animal ends its care; the assignment path allows PUT, DELETE, OPTIONS", () =>
        Effect.gen(function*() {
          const sam = yield* newZookeeper()
          const ellie = yield* newAnimal()
          const path = `/v1/zookeepers/${sam.id}/animals/${ellie.id}`
          yield* request(path, { method: "PUT" })
          assert.strictEqual((yield* request(`/v1/animals/${ellie.id}`, { method: "DELETE" })).status, 204)
          assert.deepStrictEqual((yield* request(`/v1/zookeepers/${sam.id}/animals`)).json(), [])

          const get = yield* request(path)
          assert.strictEqual(get.status, 405)
          assert.strictEqual(get.headers.get("allow"), "PUT, DELETE, OPTIONS")
        }))
    })

    describe("references and unique fields", () => {
      it.effect("an animal naming an unknown habitat is a 422 problem naming it, on POST, PUT and PATCH", () =>
        Effect.gen(function*() {
          const ellie = yield* newAnimal()
          const body = { name: "Ellie Elephant", date_of_birth: "2010-10-10", species: "elephant", habitat_id: missing }
          for (
            const [path, init] of [
              ["/v1/animals", { method: "POST", ...jsonBody(body) }],
              [`/v1/animals/${ellie.id}`, { method: "PUT", ...jsonBody(body) }],
              [`/v1/animals/${ellie.id}`, { method: "PATCH", ...jsonBody({ habitat_id: missing }, "application/merge-patch+json") }]
            ] as const
          ) {
            const response = yield* request(path, init)
            assertProblem(response, 422, "/problems/unknown-habitat")
            assert.deepInclude(response.json(), { id: missing, title: "Referenced resource not found" })
            assert.include(response.json().detail, missing)
          }
          assert.strictEqual((yield* request(`/v1/animals/${ellie.id}`)).json().version, 1)
        }))

      it.effect("an animal's habitat is set, moved and removed by PATCH", () =>
        Effect.gen(function*() {
          const [savanna, jungle] = [yield* newHabitat(), yield* newHabitat({ climate: "tropical" })]
          const ellie = yield* newAnimal({ habitat_id: savanna.id })
          assert.strictEqual(ellie.habitat_id, savanna.id)
          const path = `/v1/animals/${ellie.id}`
          const moved = yield* request(path, { method: "PATCH", ...jsonBody({ habitat_id: jungle.id }) })
          assert.strictEqual(moved.json().habitat_id, jungle.id)
          const homeless = yield* request(path, { method: "PATCH", ...jsonBody({ habitat_id: null }) })
          assert.notProperty(homeless.json(), "habitat_id")
        }))

      it.effect("deleting a habitat that houses animals is a 409 problem; empty, it goes", () =>
        Effect.gen(function*() {
          const savanna = yield* newHabitat()
          const ellie = yield* newAnimal({ habitat_id: savanna.id })
          const occupied = yield* request(`/v1/habitats/${savanna.id}`, { method: "DELETE" })
          assertProblem(occupied, 409, "/problems/habitat-occupied")
          assert.strictEqual(occupied.json().id, savanna.id)
          assert.include(occupied.json().detail, "still houses animals")
          assert.strictEqual((yield* request(`/v1/habitats/${savanna.id}`)).status, 200)

          yield* request(`/v1/animals/${ellie.id}`, { method: "PATCH", ...jsonBody({ habitat_id: null }) })
          assert.strictEqual((yield* request(`/v1/habitats/${savanna.id}`, { method: "DELETE" })).status, 204)
          assertProblem(yield* request(`/v1/habitats/${savanna.id}/animals`), 404, "/problems/habitat-not-found")
        }))

      it.effect("a habitat name or a zookeeper email taken is a 409 problem naming the field; an id taken another", () =>
        Effect.gen(function*() {
          const savanna = yield* newHabitat()
          const nameTaken = yield* request("/v1/habitats", {
            method: "POST",
            ...jsonBody({ name: savanna.name, climate: "polar", capacity: 3 })
          })
          assertProblem(nameTaken, 409, "/problems/habitat-name-taken")
          assert.deepInclude(nameTaken.json(), { field: "name", value: savanna.name })
          const idTaken = yield* request("/v1/habitats", {
            method: "POST",
            ...jsonBody({ id: savanna.id, name: `Tundra ${unique()}`, climate: "polar", capacity: 3 })
          })
          assertProblem(idTaken, 409, "/problems/habitat-already-exists")

          const sam = yield* newZookeeper()
          const kim = yield* newZookeeper({ name: "Kim Keeper" })
          const shouted = sam.email.toUpperCase()
          const emailTaken = yield* request(`/v1/zookeepers/${kim.id}`, { method: "PATCH", ...jsonBody({ email: shouted }) })
          assertProblem(emailTaken, 409, "/problems/zookeeper-email-taken")
          assert.deepInclude(emailTaken.json(), { field: "email", value: shouted })
        }))

      it.effect("each field's rule is a 400 naming the field", () =>
        Effect.gen(function*() {
          const habitat = yield* request("/v1/habitats", {
            method: "POST",
            ...jsonBody({ name: "S", climate: "volcanic", capacity: 1001 })
          })
          assert.strictEqual(habitat.status, 400)
          assert.sameMembers(
            habitat.json().errors.map((e: { path: Array<string> }) => e.path.join(".")),
            ["payload.name", "payload.climate", "payload.capacity"]
          )
          const zookeeper = yield* request("/v1/zookeepers", {
            method: "POST",
            ...jsonBody({ name: "Sam Keeper", email: "sam@zoo", hired_on: "2999-01-01" })
          })
          assert.strictEqual(zookeeper.status, 400)
          assert.sameMembers(
            zookeeper.json().errors.map((e: { path: Array<string> }) => e.path.join(".")),
            ["payload.email", "payload.hired_on"]
          )
          const capacity = yield* request("/v1/habitats", {
            method: "POST",
            ...jsonBody({ name: "Small Pond", climate: "aquatic", capacity: 2.5 })
          })
          assert.deepStrictEqual(capacity.json().errors.map((e: { path: Array<string> }) => e.path.join(".")), ["payload.capacity"])
        }))
    })
  })

relationsSuite("memory", MemoryRepositories)
relationsSuite("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))
describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  relationsSuite("PostgreSQL", SqlRepositories.pipe(Layer.provide(postgresLayer("relations_http"))))
})
