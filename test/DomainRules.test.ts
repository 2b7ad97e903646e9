/**
 * The domain rules of SPEC §3 over real HTTP (issue 14), on every backend
 * (memory, PGlite, PostgreSQL), which must answer alike:
 * - a habitat never houses more animals than its capacity, under concurrency
 *   too: 409 `/problems/habitat-full` naming the habitat and its capacity;
 *   lowering the capacity below the animals living there is a 409;
 * - names (every `name`, `nickname`) are text a person typed: blank, padded,
 *   control characters and bidirectional overrides are a 400 naming the field;
 * - e-mail addresses follow one rule (no leading, trailing or doubled dot);
 * - a write that changes nothing (`{"nickname": null}` on an animal without
 *   one) changes nothing: same version, ETag and `updated_at`.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { MemoryRepositories, type Repositories, SqlRepositories } from "../src/Repositories.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "./support/Databases.ts"
import { jsonBody, request, TestServer } from "./support/TestServer.ts"

const problemJson = "application/problem+json"
const unique = () => globalThis.crypto.randomUUID().slice(0, 8)

type Response = { status: number; headers: Headers; text: string; json: () => any }

const post = (path: string, body: unknown) =>
  Effect.map(request(path, { method: "POST", ...jsonBody(body) }), (response) => {
    assert.strictEqual(response.status, 201, response.text)
    return response.json()
  })
const newHabitat = (capacity: number) => post("/v2/habitats", { name: `Paddock ${unique()}`, climate: "temperate", capacity })
const animalBody = (habitatId?: string, name = `Zara ${unique()}`) => ({
  name,
  date_of_birth: "2018-03-03",
  species: "zebra",
  ...(habitatId !== undefined && { habitat_id: habitatId })
})
const newAnimal = (habitatId?: string) => post("/v2/animals", animalBody(habitatId))
const habitatAnimals = (habitatId: string) =>
  Effect.map(request(`/v2/habitats/${habitatId}/animals?limit=100`), (response) => response.json().total as number)

const assertHabitatFull = (response: Response, habitatId: string, capacity: number) => {
  assert.strictEqual(response.status, 409, response.text)
  assert.strictEqual(response.headers.get("content-type"), problemJson)
  const body = response.json()
  assert.strictEqual(body.type, "/problems/habitat-full")
  assert.strictEqual(body.habitat_id, habitatId)
  assert.strictEqual(body.capacity, capacity)
  assert.include(body.detail, habitatId)
}

const assertFieldRefused = (response: Response, field: string, what: string) => {
  assert.strictEqual(response.status, 400, `${what}: ${response.text}`)
  assert.strictEqual(response.headers.get("content-type"), problemJson, what)
  assert.deepStrictEqual(response.json().errors.map((e: { path: ReadonlyArray<string> }) => e.path.join(".")), [`payload.${field}`], what)
}

/** Names a person would not have typed, each with why. */
const badNames: ReadonlyArray<readonly [string, string]> = [
  ["blank", "       "],
  ["leading space", " Leo the Lion"],
  ["trailing space", "Leo the Lion "],
  ["trailing tab", "Leo the Lion\t"],
  ["leading no-break space", "\u00a0Leo the Lion"],
  ["leading byte-order mark", "\ufeffLeo the Lion"],
  ["C0 control (newline)", "Leo\nthe Lion"],
  ["C0 control (escape)", "Leo\u001bthe Lion"],
  ["U+0000", "Leo\u0000the Lion"],
  ["DEL", "Leo\u007fthe Lion"],
  ["C1 control (NEL)", "Leo\u0085the Lion"],
  ["right-to-left override", "Leo\u202ethe Lion"],
  ["left-to-right embedding", "\u202aLeo the Lion"],
  ["first strong isolate", "Leo the Lion\u2068"],
  ["pop directional isolate", "Leo\u2069the Lion"]
]

const rulesSuite = (name: string, repositories: Layer.Layer<Repositories, unknown>) =>
  layer(TestServer(repositories), { excludeTestServices: true, timeout: "120 seconds" })(`Domain rules over HTTP: ${name}`, (it) => {
    describe("habitat capacity", () => {
      it.effect("50 concurrent creates into a habitat of capacity 10: exactly 10 × 201 and 40 × 409 habitat-full", () =>
        Effect.gen(function*() {
          const habitat = yield* newHabitat(10)
          const responses = yield* Effect.all(
            Array.from({ length: 50 }, (_, i) => request("/v2/animals", { method: "POST", ...jsonBody(animalBody(habitat.id, `Racer ${i} ${unique()}`)) })),
            { concurrency: "unbounded" }
          )
          const statuses = responses.map((response) => response.status)
          assert.strictEqual(statuses.filter((status) => status === 201).length, 10, JSON.stringify(statuses))
          assert.strictEqual(statuses.filter((status) => status === 409).length, 40, JSON.stringify(statuses))
          for (const response of responses.filter((response) => response.status === 409)) assertHabitatFull(response, habitat.id, 10)
          assert.strictEqual(yield* habitatAnimals(habitat.id), 10)
        }))

      it.effect("create, replace and patch into a full habitat: 409 habitat-full, and nothing changes", () =>
        Effect.gen(function*() {
          const full = yield* newHabitat(2)
          yield* newAnimal(full.id)
          const resident = yield* newAnimal(full.id)
          const outsider = yield* newAnimal()
          assertHabitatFull(yield* request("/v2/animals", { method: "POST", ...jsonBody(animalBody(full.id)) }), full.id, 2)
          assertHabitatFull(
            yield* request(`/v1/animals/${outsider.id}`, { method: "PUT", ...jsonBody({ ...animalBody(full.id), name: outsider.name }) }),
            full.id,
            2
          )
          assertHabitatFull(
            yield* request(`/v2/animals/${outsider.id}`, { method: "PATCH", ...jsonBody({ habitat_id: full.id }, "application/merge-patch+json") }),
            full.id,
            2
          )
          const unchanged = yield* request(`/v2/animals/${outsider.id}`)
          assert.deepStrictEqual(unchanged.json(), outsider)
          assert.strictEqual(yield* habitatAnimals(full.id), 2)

          // Living there already is not moving in: a full habitat's animals can still be written.
          const renamed = yield* request(`/v2/animals/${resident.id}`, { method: "PATCH", ...jsonBody({ name: "Zara Renamed" }) })
          assert.strictEqual(renamed.status, 200, renamed.text)
          const replaced = yield* request(`/v2/animals/${resident.id}`, { method: "PUT", ...jsonBody(animalBody(full.id, "Zara Replaced")) })
          assert.strictEqual(replaced.status, 200, replaced.text)

          // Room made by moving one out: the outsider can move in.
          const out = yield* request(`/v2/animals/${resident.id}`, { method: "PATCH", ...jsonBody({ habitat_id: null }) })
          assert.strictEqual(out.status, 200, out.text)
          const moved = yield* request(`/v2/animals/${outsider.id}`, { method: "PATCH", ...jsonBody({ habitat_id: full.id }) })
          assert.strictEqual(moved.status, 200, moved.text)
          // An unknown habitat is still a 422, not a 409.
          const unknown = yield* request("/v2/animals", {
            method: "POST",
            ...jsonBody(animalBody("00000000-0000-4000-8000-000000000000"))
          })
          assert.strictEqual(unknown.status, 422, unknown.text)
        }))

      it.effect("lowering the capacity below the animals living there: 409 habitat-over-capacity; down to their number: 200", () =>
        Effect.gen(function*() {
          const habitat = yield* newHabitat(5)
          for (let i = 0; i < 3; i++) yield* newAnimal(habitat.id)
          for (
            const attempt of [
              request(`/v2/habitats/${habitat.id}`, { method: "PATCH", ...jsonBody({ capacity: 2 }) }),
              request(`/v1/habitats/${habitat.id}`, { method: "PUT", ...jsonBody({ name: habitat.name, climate: "temperate", capacity: 1 }) })
            ]
          ) {
            const response = yield* attempt
            assert.strictEqual(response.status, 409, response.text)
            assert.strictEqual(response.headers.get("content-type"), problemJson)
            assert.deepInclude(response.json(), { type: "/problems/habitat-over-capacity", habitat_id: habitat.id, animals: 3 })
          }
          const unchanged = yield* request(`/v2/habitats/${habitat.id}`)
          assert.deepStrictEqual(unchanged.json(), habitat)
          const lowered = yield* request(`/v2/habitats/${habitat.id}`, { method: "PATCH", ...jsonBody({ capacity: 3 }) })
          assert.strictEqual(lowered.status, 200, lowered.text)
          assert.strictEqual(lowered.json().capacity, 3)
          assertHabitatFull(yield* request("/v2/animals", { method: "POST", ...jsonBody(animalBody(habitat.id)) }), habitat.id, 3)
        }))

      it.effect("creates racing a capacity cut: the habitat never ends up housing more than its capacity", () =>
        Effect.gen(function*() {
          const habitat = yield* newHabitat(20)
          for (let i = 0; i < 4; i++) yield* newAnimal(habitat.id)
          const [cut, ...creates] = yield* Effect.all([
            request(`/v2/habitats/${habitat.id}`, { method: "PATCH", ...jsonBody({ capacity: 6 }) }),
            ...Array.from({ length: 12 }, () => request("/v2/animals", { method: "POST", ...jsonBody(animalBody(habitat.id)) }))
          ], { concurrency: "unbounded" })
          const created = creates.filter((response) => response.status === 201).length
          for (const response of creates) assert.oneOf(response.status, [201, 409], response.text)
          const capacity = (yield* request(`/v2/habitats/${habitat.id}`)).json().capacity
          const housed = yield* habitatAnimals(habitat.id)
          assert.strictEqual(housed, 4 + created)
          assert.isAtMost(housed, capacity, `cut: ${cut.status}, created: ${created}`)
          assert.strictEqual(capacity, cut.status === 200 ? 6 : 20)
        }))
    })

    describe("names", () => {
      it.effect("blank, padded, control characters, bidirectional overrides: 400 naming the field, on create, replace and patch", () =>
        Effect.gen(function*() {
          const animal = yield* newAnimal()
          const habitat = yield* newHabitat(3)
          const keeper = yield* post("/v2/zookeepers", { name: "Sam Keeper", email: `sam.${unique()}@zoo.example`, hired_on: "2020-02-02" })
          for (const [why, name] of badNames) {
            assertFieldRefused(yield* request("/v2/animals", { method: "POST", ...jsonBody(animalBody(undefined, name)) }), "name", `animal ${why}`)
            assertFieldRefused(
              yield* request("/v2/animals", { method: "POST", ...jsonBody({ ...animalBody(), nickname: name }) }),
              "nickname",
              `nickname ${why}`
            )
            assertFieldRefused(yield* request(`/v1/animals/${animal.id}`, { method: "PUT", ...jsonBody(animalBody(undefined, name)) }), "name", `PUT ${why}`)
            assertFieldRefused(yield* request(`/v2/animals/${animal.id}`, { method: "PATCH", ...jsonBody({ nickname: name }) }), "nickname", `PATCH ${why}`)
            assertFieldRefused(
              yield* request("/v2/habitats", { method: "POST", ...jsonBody({ name, climate: "polar", capacity: 3 }) }),
              "name",
              `habitat ${why}`
            )
            assertFieldRefused(yield* request(`/v2/habitats/${habitat.id}`, { method: "PATCH", ...jsonBody({ name }) }), "name", `habitat PATCH ${why}`)
            assertFieldRefused(
              yield* request("/v2/zookeepers", { method: "POST", ...jsonBody({ name, email: `x.${unique()}@zoo.example`, hired_on: "2020-02-02" }) }),
              "name",
              `zookeeper ${why}`
            )
            assertFieldRefused(yield* request(`/v2/zookeepers/${keeper.id}`, { method: "PATCH", ...jsonBody({ name }) }), "name", `zookeeper PATCH ${why}`)
          }
          // Nothing was silently changed or stored.
          assert.deepStrictEqual((yield* request(`/v2/animals/${animal.id}`)).json(), animal)
          assert.deepStrictEqual((yield* request(`/v2/habitats/${habitat.id}`)).json(), habitat)
          assert.deepStrictEqual((yield* request(`/v2/zookeepers/${keeper.id}`)).json(), keeper)
        }))

      it.effect("names with inner spaces, punctuation, accents, scripts and emoji are accepted as written", () =>
        Effect.gen(function*() {
          for (const name of ["Leo  the  Lion", "Zoë d'Arc", "Ελέφαντας", "大熊猫 Bao", "Leo 🦁🦁", "ab", "Ab\u200dCd Ef"]) {
            const created = yield* post("/v2/zookeepers", { name, email: `n.${unique()}@zoo.example`, hired_on: "2020-02-02" })
            assert.strictEqual(created.name, name)
            assert.strictEqual((yield* request(`/v2/zookeepers/${created.id}`)).json().name, name)
          }
        }))
    })

    describe("e-mail", () => {
      it.effect("a leading, trailing or doubled dot before the @, or no dot in the domain: 400 naming the field; the dot-atom form: 201", () =>
        Effect.gen(function*() {
          for (const email of [".k@zoo.example", "a..b@zoo.example", "ab.@zoo.example", "sam@zoo", "sam@-zoo.example", "sam keeper@zoo.example", "säm@zoo.example"]) {
            assertFieldRefused(
              yield* request("/v2/zookeepers", { method: "POST", ...jsonBody({ name: "Sam Keeper", email, hired_on: "2020-02-02" }) }),
              "email",
              email
            )
          }
          for (const local of ["k", "a.b", "o'neil", "x+tag", "a.b.c_d-e"]) {
            const email = `${local}.${unique()}@zoo-${unique()}.example`
            const created = yield* post("/v2/zookeepers", { name: "Sam Keeper", email, hired_on: "2020-02-02" })
            assert.strictEqual((yield* request(`/v2/zookeepers/${created.id}`)).json().email, email)
          }
        }))
    })

    describe("a write that changes nothing", () => {
      it.effect("`{\"nickname\": null}` on an animal without one, or a replacement with the same fields: same version, ETag, updated_at", () =>
        Effect.gen(function*() {
          const animal = yield* newAnimal()
          const before = yield* request(`/v2/animals/${animal.id}`)
          for (
            const write of [
              request(`/v2/animals/${animal.id}`, { method: "PATCH", ...jsonBody({ nickname: null }, "application/merge-patch+json") }),
              request(`/v2/animals/${animal.id}`, { method: "PATCH", ...jsonBody({ name: animal.name, habitat_id: null }) }),
              request(`/v1/animals/${animal.id}`, { method: "PUT", ...jsonBody(animalBody(undefined, animal.name)) }),
              request(`/v2/animals/${animal.id}`, {
                method: "PATCH",
                ...jsonBody({ nickname: null }),
                headers: { "content-type": "application/json", "if-match": before.headers.get("etag")! }
              })
            ]
          ) {
            const response = yield* write
            assert.strictEqual(response.status, 200, response.text)
            assert.deepStrictEqual(response.json(), animal)
            assert.strictEqual(response.headers.get("etag"), before.headers.get("etag"))
            assert.strictEqual(response.headers.get("last-modified"), before.headers.get("last-modified"))
          }
          const after = yield* request(`/v2/animals/${animal.id}`)
          assert.deepStrictEqual(after.json(), animal)
          assert.strictEqual(after.json().version, 1)
          // A stale If-Match still fails a write that would change nothing.
          const stale = yield* request(`/v2/animals/${animal.id}`, {
            method: "PATCH",
            ...jsonBody({ nickname: null }),
            headers: { "content-type": "application/json", "if-match": "\"7\"" }
          })
          assert.strictEqual(stale.status, 412, stale.text)
          // A write that changes something still moves the version on.
          const changed = yield* request(`/v2/animals/${animal.id}`, { method: "PATCH", ...jsonBody({ nickname: "Zee" }) })
          assert.strictEqual(changed.json().version, 2)
          const cleared = yield* request(`/v2/animals/${animal.id}`, { method: "PATCH", ...jsonBody({ nickname: null }) })
          assert.strictEqual(cleared.json().version, 3)
          assert.notProperty(cleared.json(), "nickname")
        }))
    })
  })

rulesSuite("memory", MemoryRepositories)
rulesSuite("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))
describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  rulesSuite("PostgreSQL", SqlRepositories.pipe(Layer.provide(postgresLayer("domain_rules", { poolSize: 10 }))))
})
