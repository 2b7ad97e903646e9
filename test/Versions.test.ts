/**
 * API versions (SPEC §5): `/v2` lists answer the envelope
 * `{ items, next_cursor, total }` (the collections' own lists are covered in
 * `Resources.test.ts`; here, the relation lists and the typed client), and
 * every `/v1` response, success or error, announces the retirement with
 * `Deprecation`, `Sunset` and a `successor-version` link to the same path
 * under `/v2`, with the dates from the configuration.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { ByteSize, ConfigProvider, Duration, Effect, Layer } from "effect"
import { OpenApi } from "effect/http-api"
import { Api } from "../src/Api.ts"
import { ZooClient } from "../src/Client.ts"
import * as Config from "../src/Config.ts"
import { V1Retirement } from "../src/Http/Deprecation.ts"
import { MemoryRepositories, SqlRepositories } from "../src/Repositories.ts"
import * as RateLimit from "../src/Http/RateLimit.ts"
import { pgliteLayer } from "./support/Databases.ts"
import { follow, linksOf, type Response } from "./support/Pages.ts"
import { baseUrl, jsonBody, rawRequest, request, TestServer, testApiKey } from "./support/TestServer.ts"

const missing = "00000000-0000-4000-8000-000000000000"
const unique = () => globalThis.crypto.randomUUID().slice(0, 8)

const post = (path: string, body: unknown) =>
  Effect.map(request(path, { method: "POST", ...jsonBody(body) }), (response) => {
    assert.strictEqual(response.status, 201, response.text)
    return response.json()
  })
const newHabitat = () => post("/v2/habitats", { name: `Savanna ${unique()}`, climate: "arid", capacity: 10 })
const newZookeeper = () => post("/v2/zookeepers", { name: "Sam Keeper", email: `sam.${unique()}@zoo.example`, hired_on: "2020-02-02" })
const newAnimal = (name: string, overrides: Record<string, unknown> = {}) =>
  post("/v2/animals", { name, date_of_birth: "2010-10-10", species: "elephant", ...overrides })

const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)

/** Asserts the three v1 retirement headers, with the successor link to `successor`. */
const assertDeprecated = (response: Response, successor: string, label = successor) => {
  assert.strictEqual(response.headers.get("deprecation"), "@1796083200", label)
  assert.strictEqual(response.headers.get("sunset"), "Tue, 01 Jun 2027 00:00:00 GMT", label)
  assert.strictEqual(linksOf(response)["successor-version"], successor, label)
}

const assertNotDeprecated = (response: Response, label: string) => {
  assert.isNull(response.headers.get("deprecation"), label)
  assert.isNull(response.headers.get("sunset"), label)
  assert.isUndefined(linksOf(response)["successor-version"], label)
}

/** The envelopes of a v2 list from `path` to its last page, followed by `next_cursor` with the same query. */
const followCursors = (path: string) => Effect.map(follow(2, path), ({ pages }) => pages.map((page) => page.json()))

const relationsSuite = <E>(backend: string, repositories: Layer.Layer<any, E>) =>
  layer(TestServer(repositories), { excludeTestServices: true })(`v2 relation lists: ${backend}`, (it) => {
    it.effect("GET /v2/habitats/{id}/animals: the envelope, paged by next_cursor with filters and sort, null on the last page", () =>
      Effect.gen(function*() {
        const savanna = yield* newHabitat()
        const elephants = yield* Effect.forEach(["Aaron", "Berta", "Cecil", "Dora", "Emil"], (prefix) =>
          newAnimal(`${prefix} Elephant`, { habitat_id: savanna.id }))
        yield* newAnimal("Bruno Lion", { species: "lion", habitat_id: savanna.id })
        yield* newAnimal("Elsewhere Elephant")

        const pages = yield* followCursors(`/v2/habitats/${savanna.id}/animals?species=elephant&sort=-name&limit=2`)
        assert.deepStrictEqual(pages.map((page) => page.items.length), [2, 2, 1])
        assert.deepStrictEqual(pages.map((page) => page.total), [5, 5, 5])
        assert.deepStrictEqual(ids(pages.flatMap((page) => page.items)), ids([...elephants].reverse()))
        assert.isString(pages[0].next_cursor)
        assert.isNull(pages[2].next_cursor)

        // A cursor applies with the query it was made for: other filters are a 400, not a wrong page.
        const other = yield* request(`/v2/habitats/${savanna.id}/animals?species=lion&sort=-name&limit=2&cursor=${pages[0].next_cursor}`)
        assert.strictEqual(other.status, 400)
        assert.deepStrictEqual(other.json().errors.map((e: { path: Array<string> }) => e.path), [["query", "cursor"]])

        const empty = (yield* request(`/v2/habitats/${(yield* newHabitat()).id}/animals`)).json()
        assert.deepStrictEqual(empty, { items: [], next_cursor: null, total: 0 })
        const unknown = yield* request(`/v2/habitats/${missing}/animals`)
        assert.strictEqual(unknown.status, 404)
        assert.strictEqual(unknown.json().type, "/problems/habitat-not-found")
      }))

    it.effect("GET /v2/zookeepers/{id}/animals: the envelope; PUT and DELETE assign and unassign under /v2 as under /v1", () =>
      Effect.gen(function*() {
        const sam = yield* newZookeeper()
        const animals = yield* Effect.forEach(["Ada", "Bob", "Cy"], (name) => newAnimal(`${name} the Elephant`))
        for (const animal of animals) {
          const assigned = yield* request(`/v2/zookeepers/${sam.id}/animals/${animal.id}`, { method: "PUT" })
          assert.strictEqual(assigned.status, 204)
          assertNotDeprecated(assigned, "PUT under /v2")
        }
        const pages = yield* followCursors(`/v2/zookeepers/${sam.id}/animals?limit=2`)
        assert.deepStrictEqual(ids(pages.flatMap((page) => page.items)), ids(animals))
        assert.deepStrictEqual(pages.map((page) => page.next_cursor === null), [false, true])

        assert.strictEqual((yield* request(`/v2/zookeepers/${sam.id}/animals/${animals[0].id}`, { method: "DELETE" })).status, 204)
        const v1 = yield* request(`/v1/zookeepers/${sam.id}/animals`)
        assert.deepStrictEqual(ids(v1.json()), ids(animals.slice(1)), "v1 lists the same rows, as an array")
        assertDeprecated(v1, `/v2/zookeepers/${sam.id}/animals`)
      }))
  })

relationsSuite("memory", MemoryRepositories)
relationsSuite("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("v1 deprecation headers", (it) => {
  it.effect("on every success: list (beside rel=next), item, create, replace, patch, delete, HEAD, OPTIONS, 304, relations", () =>
    Effect.gen(function*() {
      const tag = `Dep${unique()}`
      const habitat = yield* post("/v1/habitats", { name: `${tag} Savanna`, climate: "arid", capacity: 10 })
      const animal = yield* newAnimal(`${tag} One`, { habitat_id: habitat.id })
      yield* newAnimal(`${tag} Two`)

      const list = yield* request(`/v1/animals?name=${tag}&limit=1&sort=name`)
      assert.strictEqual(list.status, 200)
      assert.isArray(list.json())
      assertDeprecated(list, "/v2/animals")
      const next = linksOf(list).next
      assert.isDefined(next, "the next link is kept")
      assert.match(next, /^\/v1\/animals\?name=Dep\w+&sort=name&limit=1&cursor=/)
      const last = yield* request(next)
      assert.deepStrictEqual(Object.keys(linksOf(last)), ["successor-version"])

      const item = `/v1/animals/${animal.id}`
      const successor = `/v2/animals/${animal.id}`
      const created = yield* request("/v1/animals", {
        method: "POST",
        ...jsonBody({ name: `${tag} Three`, date_of_birth: "2012-12-12", species: "zebra" })
      })
      assert.strictEqual(created.status, 201)
      assert.strictEqual(created.headers.get("location"), `/v1/animals/${created.json().id}`)
      assertDeprecated(created, "/v2/animals")
      const cases: ReadonlyArray<readonly [string, string, RequestInit, number]> = [
        ["GET", item, {}, 200],
        ["HEAD", item, { method: "HEAD" }, 200],
        ["304", item, { headers: { "if-none-match": "\"1\"" } }, 304],
        ["OPTIONS item", item, { method: "OPTIONS" }, 204],
        ["PUT", item, { method: "PUT", ...jsonBody({ name: `${tag} One`, date_of_birth: "2010-10-10", species: "elephant", habitat_id: habitat.id }) }, 200],
        ["PATCH", item, { method: "PATCH", ...jsonBody({ nickname: "Uno" }, "application/merge-patch+json") }, 200],
        ["DELETE", `/v1/animals/${created.json().id}`, { method: "DELETE" }, 204]
      ]
      for (const [label, path, init, status] of cases) {
        const response = yield* request(path, init)
        assert.strictEqual(response.status, status, `${label}: ${response.text}`)
        assertDeprecated(response, path.replace(/^\/v1/, "/v2"), label)
      }
      const capabilities = yield* request("/v1/animals", { method: "OPTIONS" })
      assert.strictEqual(capabilities.status, 200)
      assertDeprecated(capabilities, "/v2/animals")
      const members = yield* request(`/v1/habitats/${habitat.id}/animals`)
      assert.deepStrictEqual(ids(members.json()), [animal.id])
      assertDeprecated(members, `/v2/habitats/${habitat.id}/animals`)
      assert.deepStrictEqual((yield* request(successor)).json(), (yield* request(item)).json(), "the successor serves the same resource")
    }))

  it.effect("on every error: 400, 404 (resource and unknown path), 405, 406, 412, 415, 422", () =>
    Effect.gen(function*() {
      const animal = yield* newAnimal("Erroneous Elephant")
      const item = `/v1/animals/${animal.id}`
      const cases: ReadonlyArray<readonly [string, RequestInit, number]> = [
        ["/v1/animals?limit=0", {}, 400],
        ["/v1/animals/not-a-uuid", {}, 400],
        [`/v1/animals/${missing}`, {}, 404],
        [`/v1/habitats/${missing}/animals`, {}, 404],
        ["/v1/giraffes", {}, 404],
        ["/v1", {}, 404],
        ["/v1/animals", { method: "DELETE" }, 405],
        [item, { headers: { accept: "text/html" } }, 406],
        [item, { method: "PATCH", headers: { "if-match": "\"9\"", "content-type": "application/json" }, body: "{}" }, 412],
        ["/v1/animals", { method: "POST", headers: { "content-type": "text/plain" }, body: "lion" }, 415],
        [item, { method: "PATCH", ...jsonBody({ habitat_id: missing }) }, 422]
      ]
      for (const [path, init, status] of cases) {
        const response = yield* request(path, init)
        const label = `${init.method ?? "GET"} ${path}`
        assert.strictEqual(response.status, status, `${label}: ${response.text}`)
        assert.strictEqual(response.headers.get("content-type"), "application/problem+json", label)
        assertDeprecated(response, path.split("?", 1)[0]!.replace(/^\/v1/, "/v2"), label)
      }
    }))

  it.effect("not on /v2, nor on paths outside the versions", () =>
    Effect.gen(function*() {
      for (const path of ["/v2/animals", `/v2/animals/${missing}`, "/v2/giraffes", "/healthz", "/openapi.json", "/docs", "/v10/animals", "/v1animals"]) {
        assertNotDeprecated(yield* request(path), path)
      }
    }))

  it.effect("a successor link cannot be broken out of by a path's characters", () =>
    Effect.gen(function*() {
      const response = yield* request("/v1/a%3E,b;c")
      assert.strictEqual(response.status, 404)
      assert.strictEqual(linksOf(response)["successor-version"], "/v2/a%3E%2Cb%3Bc")
    }))
})

layer(
  TestServer(MemoryRepositories, {
    bodyLimit: ByteSize.bytes(100),
    corsOrigins: ["https://app.example"],
    rateLimit: RateLimit.layerMemory({ limit: 3, window: Duration.minutes(1) })
  }),
  { excludeTestServices: true }
)("v1 deprecation headers at the edge", (it) => {
  it.effect("on the edge's own answers too: 401, 413, 429 and a CORS preflight", () =>
    Effect.gen(function*() {
      // A made-up key: a 401, counted against the address.
      const own = () => ({ "x-api-key": `edge-${unique()}` })
      const lion = JSON.stringify({ name: "Edge Lion", date_of_birth: "2020-01-01", species: "lion" })
      const unauthorized = yield* rawRequest("/v1/animals", { method: "POST", headers: { ...own(), "content-type": "application/json" }, body: lion })
      assert.strictEqual(unauthorized.status, 401, unauthorized.text)
      assertDeprecated(unauthorized, "/v2/animals", "401")

      const tooLarge = yield* request("/v1/animals", { method: "POST", ...jsonBody({ name: "x".repeat(200) }) })
      assert.strictEqual(tooLarge.status, 413, tooLarge.text)
      assertDeprecated(tooLarge, "/v2/animals", "413")

      const preflight = yield* rawRequest(`/v1/animals/${missing}`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "PATCH" }
      })
      assert.strictEqual(preflight.headers.get("access-control-allow-origin"), "https://app.example")
      assertDeprecated(preflight, `/v2/animals/${missing}`, "preflight")

      // The test key (verified: a client of its own) spent one request on the 413 above; two more pass, then 429.
      const headers = { "x-api-key": testApiKey }
      const statuses: Array<number> = []
      let refused: Response | undefined
      for (let i = 0; i < 3; i++) {
        const response = yield* rawRequest("/v1/habitats", { headers })
        statuses.push(response.status)
        refused = response
      }
      assert.deepStrictEqual(statuses, [200, 200, 429])
      assertDeprecated(refused!, "/v2/habitats", "429")
    }))
})

layer(
  TestServer(MemoryRepositories).pipe(Layer.provide(Layer.succeed(V1Retirement, {
    deprecatedAt: new Date("2025-01-02T03:04:05Z"),
    sunsetAt: new Date("2030-12-31T23:59:59Z")
  }))),
  { excludeTestServices: true }
)("v1 deprecation dates from the configuration", (it) => {
  it.effect("Deprecation is @<epoch seconds> and Sunset an HTTP-date", () =>
    Effect.gen(function*() {
      const response = yield* request("/v1/animals")
      assert.strictEqual(response.headers.get("deprecation"), `@${Date.UTC(2025, 0, 2, 3, 4, 5) / 1000}`)
      assert.strictEqual(response.headers.get("sunset"), "Tue, 31 Dec 2030 23:59:59 GMT")
    }))
})

describe("V1_DEPRECATED_AT and V1_SUNSET_AT", () => {
  const load = (env: Record<string, string>) =>
    Config.load.pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

  it.effect("default to 2026-12-01 and 2027-06-01; are read as dates", () =>
    Effect.gen(function*() {
      const defaults = yield* load({})
      assert.deepStrictEqual([defaults.v1DeprecatedAt, defaults.v1SunsetAt], [new Date("2026-12-01T00:00:00Z"), new Date("2027-06-01T00:00:00Z")])
      const set = yield* load({ V1_DEPRECATED_AT: "2026-01-01T00:00:00Z", V1_SUNSET_AT: "2026-07-01" })
      assert.deepStrictEqual([set.v1DeprecatedAt, set.v1SunsetAt], [new Date("2026-01-01T00:00:00Z"), new Date("2026-07-01T00:00:00Z")])
    }))

  it.effect("a sunset before the deprecation, or a value that is not a date, is a startup error", () =>
    Effect.gen(function*() {
      const early = yield* Effect.flip(load({ V1_DEPRECATED_AT: "2027-01-01", V1_SUNSET_AT: "2026-01-01" }))
      assert.deepStrictEqual(early.problems, ["V1_SUNSET_AT: expected a date not before V1_DEPRECATED_AT"])
      const garbage = yield* Effect.flip(load({ V1_SUNSET_AT: "soon" }))
      assert.strictEqual(garbage.problems.length, 1)
      assert.match(garbage.problems[0]!, /^V1_SUNSET_AT: /)
    }))
})

describe("OpenAPI: versions", () => {
  const spec = OpenApi.fromApi(Api) as any
  const operations = Object.entries<Record<string, any>>(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation }))
  )

  it("every /v1 operation is deprecated, no /v2 (or other) operation is", () => {
    const v1 = operations.filter(({ path }) => path.startsWith("/v1/"))
    const v2 = operations.filter(({ path }) => path.startsWith("/v2/"))
    assert.isAbove(v1.length, 20)
    assert.strictEqual(v1.length, v2.length, "v2 has every v1 operation")
    for (const { method, operation, path } of v1) assert.isTrue(operation.deprecated, `${method} ${path}`)
    for (const { method, operation, path } of operations.filter(({ path }) => !path.startsWith("/v1/"))) {
      assert.isUndefined(operation.deprecated, `${method} ${path}`)
    }
    for (const { path, method } of v1) assert.isDefined(spec.paths[path.replace(/^\/v1/, "/v2")]?.[method], `${method} ${path} in v2`)
  })

  it("tags: the current version's plainly, first; v1's marked deprecated; the same summaries", () => {
    const names = spec.tags.map((tag: { name: string }) => tag.name)
    assert.deepStrictEqual(names.slice(0, 6), [
      "Animals",
      "Habitats",
      "Zookeepers",
      "Animals (v1, deprecated)",
      "Habitats (v1, deprecated)",
      "Zookeepers (v1, deprecated)"
    ])
    assert.strictEqual(spec.paths["/v2/animals"].post.summary, spec.paths["/v1/animals"].post.summary)
    assert.deepStrictEqual(spec.paths["/v2/animals"].get.tags, ["Animals"])
    assert.deepStrictEqual(spec.paths["/v1/animals"].get.tags, ["Animals (v1, deprecated)"])
  })

  it("every /v1 response documents Deprecation, Sunset and Link; no /v2 response documents the first two", () => {
    for (const { method, operation, path } of operations.filter(({ path }) => path.startsWith("/v"))) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (response.$ref !== undefined) continue
        const names = Object.keys(response.headers ?? {})
        if (path.startsWith("/v1/")) assert.includeMembers(names, ["deprecation", "sunset", "link"], `${method} ${path} ${status}`)
        else assert.notIncludeMembers(names, ["deprecation", "sunset"], `${method} ${path} ${status}`)
      }
    }
    assert.include(spec.components.headers.Deprecation.description, "RFC 9745")
    assert.include(spec.components.headers.Sunset.description, "RFC 8594")
    // A list keeps its own description of Link (rel="next").
    assert.include(spec.paths["/v1/animals"].get.responses["200"].headers.link.schema.description, "rel=\"next\"")
  })

  it("v2 lists (the relations' too) answer the envelope; v1 lists an array", () => {
    for (const path of ["/v2/animals", "/v2/habitats", "/v2/zookeepers", "/v2/habitats/{id}/animals", "/v2/zookeepers/{id}/animals"]) {
      const schema = spec.paths[path].get.responses["200"].content["application/json"].schema
      const envelope = spec.components.schemas[schema.$ref.replace("#/components/schemas/", "")]
      assert.sameMembers(envelope.required, ["items", "next_cursor", "total"], path)
      assert.strictEqual(envelope.properties.items.type, "array", path)
      assert.include(JSON.stringify(envelope.properties.next_cursor), "\"null\"", path)
      const v1 = spec.paths[path.replace(/^\/v2/, "/v1")].get.responses["200"].content["application/json"].schema
      assert.strictEqual(v1.type, "array", path)
    }
  })
})

layer(
  Layer.unwrap(Effect.map(baseUrl, (url) => ZooClient.layer({ baseUrl: url }))).pipe(
    Layer.provideMerge(TestServer(MemoryRepositories))
  ),
  { excludeTestServices: true }
)("the typed client", (it) => {
  it.effect("v1 lists decode to an array, v2 lists to the envelope (reads need no credentials)", () =>
    Effect.gen(function*() {
      const zoo = yield* ZooClient
      const tag = `Client${unique()}`
      for (const suffix of ["Alpha", "Bravo", "Charlie"]) {
        yield* post("/v2/habitats", { name: `${tag} ${suffix}`, climate: "polar", capacity: 5 })
      }
      const v1 = yield* zoo.habitatsV1.list({ query: { name: tag, limit: 2 } })
      assert.strictEqual(v1.body.length, 2)
      const first = yield* zoo.habitats.list({ query: { name: tag, limit: 2 } })
      assert.strictEqual(first.body.total, 3)
      assert.deepStrictEqual(first.body.items, v1.body)
      assert.isNotNull(first.body.next_cursor)
      const second = yield* zoo.habitats.list({ query: { name: tag, limit: 2, cursor: first.body.next_cursor } })
      assert.strictEqual(second.body.items.length, 1)
      assert.isNull(second.body.next_cursor)
    }))
})
