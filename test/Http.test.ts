/**
 * The service over real TCP: a listening server on a random port, `fetch`
 * as the client. Storage is the in-memory repository; everything else is
 * what `npm start` runs.
 */
import { assert, describe, expect, layer } from "@effect/vitest"
import { Cause, Effect, Layer, Logger, References } from "effect"
import { MemoryRepositories } from "../src/Repositories.ts"
import { AnimalsRepository } from "../src/Animals/AnimalsRepository.ts"
import { jsonBody, request, TestServer } from "./support/TestServer.ts"

const lion = { name: "Test Lion", date_of_birth: "2020-01-01", species: "lion" }
const problemJson = "application/problem+json"

const create = (body: unknown) => request("/v1/animals", { method: "POST", ...jsonBody(body) })

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("HTTP: animals", (it) => {
  describe("the seed article's tests, on /v1", () => {
    it.effect("GET /v1/animals returns a JSON array", () =>
      Effect.gen(function*() {
        const response = yield* request("/v1/animals")
        assert.strictEqual(response.status, 200)
        assert.match(response.headers.get("content-type")!, /^application\/json/)
        assert.isArray(response.json())
      }))

    it.effect("POST of a valid animal returns 201", () =>
      Effect.gen(function*() {
        const response = yield* create(lion)
        assert.strictEqual(response.status, 201)
      }))
  })

  it.effect("POST returns the stored animal with Location and ETag; GET finds it there", () =>
    Effect.gen(function*() {
      // A name of this test's own: the list below finds it whatever else the shared server holds.
      const name = `Leo ${globalThis.crypto.randomUUID().slice(0, 8)}`
      const created = yield* create({ ...lion, name, nickname: "Leo" })
      const body = created.json()
      assert.match(body.id, /^[0-9a-f-]{36}$/)
      assert.deepInclude(body, { ...lion, name, nickname: "Leo", version: 1 })
      assert.strictEqual(created.headers.get("location"), `/v1/animals/${body.id}`)
      assert.strictEqual(created.headers.get("etag"), "\"1\"")

      const fetched = yield* request(created.headers.get("location")!)
      assert.strictEqual(fetched.status, 200)
      assert.deepStrictEqual(fetched.json(), body)
      assert.strictEqual(fetched.headers.get("etag"), "\"1\"")

      const list = (yield* request(`/v1/animals?name=${encodeURIComponent(name)}`)).json()
      assert.deepStrictEqual(list, [body])
    }))

  it.effect("a client-chosen id is kept, and a second POST with it is a 409 problem", () =>
    Effect.gen(function*() {
      const id = "6f1c2b8e-3d4a-4b5c-8d9e-0f1a2b3c4d5e"
      assert.strictEqual((yield* create({ ...lion, id })).status, 201)
      const duplicate = yield* create({ ...lion, id })
      assert.strictEqual(duplicate.status, 409)
      assert.strictEqual(duplicate.headers.get("content-type"), problemJson)
      assert.deepInclude(duplicate.json(), { status: 409, type: "/problems/animal-already-exists", id })
    }))

  it.effect("three invalid fields: one 400 problem naming all three", () =>
    Effect.gen(function*() {
      const response = yield* create({ name: "Leo", date_of_birth: "2021-02-30", species: "dragon" })
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.headers.get("content-type"), problemJson)
      assert.strictEqual(response.headers.get("cache-control"), "no-store")
      const problem = response.json()
      assert.deepInclude(problem, { status: 400, title: "Bad Request" })
      const paths = problem.errors.map((error: { path: Array<string> }) => error.path.join("."))
      assert.sameMembers(paths, ["payload.name", "payload.date_of_birth", "payload.species"])
    }))

  it.effect("missing fields, unknown fields, a future date and null are each named", () =>
    Effect.gen(function*() {
      const response = yield* create({ date_of_birth: "2999-01-01", species: "lion", nickname: null, legs: 4 })
      assert.strictEqual(response.status, 400)
      const paths = response.json().errors.map((error: { path: Array<string> }) => error.path.join("."))
      assert.sameMembers(paths, ["payload.name", "payload.date_of_birth", "payload.nickname", "payload.legs"])
    }))

  it.effect("names count Unicode code points, not UTF-16 units", () =>
    Effect.gen(function*() {
      // Five emoji are ten UTF-16 units but five characters: valid.
      assert.strictEqual((yield* create({ ...lion, name: "🦁🦁🦁🦁🦁" })).status, 201)
      assert.strictEqual((yield* create({ ...lion, name: "🦁🦁🦁🦁" })).status, 400)
      assert.strictEqual((yield* create({ ...lion, name: "x".repeat(101) })).status, 400)
    }))

  it.effect("malformed JSON is a 400 problem", () =>
    Effect.gen(function*() {
      const response = yield* request("/v1/animals", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{\"name\": "
      })
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.headers.get("content-type"), problemJson)
      assert.deepStrictEqual(response.json().errors, [{ path: ["payload"], message: "the request body: must be a valid JSON body" }])
    }))

  it.effect("a body that is not JSON is a 415 problem", () =>
    Effect.gen(function*() {
      const response = yield* request("/v1/animals", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "a lion"
      })
      assert.strictEqual(response.status, 415)
      assert.strictEqual(response.headers.get("content-type"), problemJson)
      assert.deepInclude(response.json(), { status: 415, title: "Unsupported Media Type" })
    }))

  it.effect("every response carries X-Request-Id: a sane one is echoed, anything else is replaced", () =>
    Effect.gen(function*() {
      const echoed = yield* request("/v1/animals", { headers: { "x-request-id": "abc-DEF_1.2" } })
      assert.strictEqual(echoed.headers.get("x-request-id"), "abc-DEF_1.2")
      for (const insane of ["has space", "x".repeat(129), "semi;colon", ""]) {
        const replaced = yield* request("/v1/animals", { headers: { "x-request-id": insane } })
        assert.match(replaced.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/, insane)
      }
      const problem = yield* request("/v1/giraffes", { headers: { "x-request-id": "req-404" } })
      assert.deepInclude(problem.json(), { request_id: "req-404", instance: "/v1/giraffes" })
      const platform = yield* request("/v1/animals", { method: "POST", headers: { "content-type": "text/plain", "x-request-id": "req-415" }, body: "x" })
      assert.deepInclude(platform.json(), { status: 415, request_id: "req-415", instance: "/v1/animals" })
    }))

  it.effect("a problem body lists type, title, status first and request_id, instance last, whoever made it", () =>
    Effect.gen(function*() {
      // A handler's typed problem, an edge refusal, and a bare platform answer given a body.
      const handler = yield* request("/v2/animals/00000000-0000-4000-8000-000000000000", { headers: { "x-request-id": "req-a" } })
      assert.deepStrictEqual(Object.keys(handler.json()), ["type", "title", "status", "detail", "id", "request_id", "instance"])
      assert.strictEqual(handler.json().request_id, "req-a")
      const edge = yield* request("/v2/giraffes", { headers: { "x-request-id": "req-b" } })
      assert.deepStrictEqual(Object.keys(edge.json()), ["type", "title", "status", "detail", "request_id", "instance"])
      const platform = yield* request("/v1/animals", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })
      assert.deepStrictEqual(Object.keys(platform.json()), ["type", "title", "status", "detail", "request_id", "instance"])
    }))

  it.effect("an Accept without JSON is a 406 problem, sent as JSON anyway", () =>
    Effect.gen(function*() {
      const refused = yield* request("/v1/animals", { headers: { accept: "text/html" } })
      assert.strictEqual(refused.status, 406)
      assert.strictEqual(refused.headers.get("content-type"), problemJson)
      assert.deepInclude(refused.json(), { status: 406, type: "/problems/not-acceptable" })
      const zeroQuality = yield* request("/v1/animals", { headers: { accept: "text/html, application/json;q=0" } })
      assert.strictEqual(zeroQuality.status, 406)
      for (const accept of ["application/json", "*/*", "text/html, application/*;q=0.5", "application/problem+json"]) {
        assert.strictEqual((yield* request("/v1/animals", { headers: { accept } })).status, 200, accept)
      }
    }))

  it.effect("an unknown id is a 404 problem on GET, PUT, PATCH and DELETE", () =>
    Effect.gen(function*() {
      const path = "/v1/animals/00000000-0000-4000-8000-000000000000"
      for (
        const init of [
          { method: "GET" },
          { method: "PUT", ...jsonBody(lion) },
          { method: "PATCH", ...jsonBody({ nickname: "x" }, "application/merge-patch+json") },
          { method: "DELETE" }
        ]
      ) {
        const response = yield* request(path, init)
        assert.strictEqual(response.status, 404, init.method)
        assert.strictEqual(response.headers.get("content-type"), problemJson)
        assert.deepInclude(response.json(), { type: "/problems/animal-not-found", status: 404 })
      }
    }))

  it.effect("an id that is not a UUID is a 400 naming the path parameter", () =>
    Effect.gen(function*() {
      const response = yield* request("/v1/animals/not-a-uuid")
      assert.strictEqual(response.status, 400)
      assert.deepStrictEqual(response.json().errors.map((e: { path: Array<string> }) => e.path), [["params", "id"]])
    }))

  it.effect("an unknown path is a 404 problem", () =>
    Effect.gen(function*() {
      const response = yield* request("/v1/giraffes")
      assert.strictEqual(response.status, 404)
      assert.strictEqual(response.headers.get("content-type"), problemJson)
      assert.deepInclude(response.json(), { type: "/problems/route-not-found", status: 404 })
    }))

  it.effect("a known path with an unsupported method is a 405 with Allow", () =>
    Effect.gen(function*() {
      const collection = yield* request("/v1/animals", { method: "DELETE" })
      assert.strictEqual(collection.status, 405)
      assert.strictEqual(collection.headers.get("allow"), "GET, HEAD, POST, OPTIONS")
      assert.strictEqual(collection.headers.get("content-type"), problemJson)
      assert.deepInclude(collection.json(), { status: 405, allow: ["GET", "HEAD", "POST", "OPTIONS"] })

      const item = yield* request("/v1/animals/00000000-0000-4000-8000-000000000000", { method: "POST" })
      assert.strictEqual(item.status, 405)
      assert.strictEqual(item.headers.get("allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    }))

  it.effect("OPTIONS answers with Allow, and on the collection with its capabilities", () =>
    Effect.gen(function*() {
      const collection = yield* request("/v1/animals", { method: "OPTIONS" })
      assert.strictEqual(collection.status, 200)
      assert.strictEqual(collection.headers.get("allow"), "GET, HEAD, POST, OPTIONS")
      assert.deepInclude(collection.json(), { default_page_size: 20, max_page_size: 100 })

      const item = yield* request("/v1/animals/00000000-0000-4000-8000-000000000000", { method: "OPTIONS" })
      assert.strictEqual(item.status, 204)
      assert.strictEqual(item.headers.get("allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    }))

  it.effect("HEAD answers like GET without a body", () =>
    Effect.gen(function*() {
      const created = (yield* create(lion)).json()
      const response = yield* request(`/v1/animals/${created.id}`, { method: "HEAD" })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.headers.get("etag"), "\"1\"")
      assert.strictEqual(response.text, "")
    }))

  it.effect("PUT replaces every field, drops left-out optional ones, and bumps the version", () =>
    Effect.gen(function*() {
      const created = (yield* create({ ...lion, nickname: "Leo" })).json()
      const response = yield* request(`/v1/animals/${created.id}`, {
        method: "PUT",
        ...jsonBody({ name: "Tigger Tiger", date_of_birth: "2018-06-01", species: "tiger" })
      })
      assert.strictEqual(response.status, 200)
      const replaced = response.json()
      assert.deepInclude(replaced, { id: created.id, name: "Tigger Tiger", species: "tiger", version: 2 })
      assert.notProperty(replaced, "nickname")
      assert.strictEqual(replaced.created_at, created.created_at)
      assert.strictEqual(response.headers.get("etag"), "\"2\"")
    }))

  it.effect("PUT with a different id in the body is a 400", () =>
    Effect.gen(function*() {
      const created = (yield* create(lion)).json()
      const response = yield* request(`/v1/animals/${created.id}`, {
        method: "PUT",
        ...jsonBody({ ...lion, id: "00000000-0000-4000-8000-000000000000" })
      })
      assert.strictEqual(response.status, 400)
      assert.deepStrictEqual(response.json().errors[0].path, ["payload", "id"])
    }))

  it.effect("PATCH is a JSON merge patch: absent keeps, a value replaces, null removes", () =>
    Effect.gen(function*() {
      const created = (yield* create({ ...lion, nickname: "Leo" })).json()
      const path = `/v1/animals/${created.id}`
      const renamed = yield* request(path, { method: "PATCH", ...jsonBody({ name: "Leonidas" }, "application/merge-patch+json") })
      assert.strictEqual(renamed.status, 200)
      assert.deepInclude(renamed.json(), { name: "Leonidas", nickname: "Leo", species: "lion", version: 2 })

      // application/json is accepted too.
      const cleared = yield* request(path, { method: "PATCH", ...jsonBody({ nickname: null }) })
      assert.strictEqual(cleared.status, 200)
      assert.notProperty(cleared.json(), "nickname")
      assert.strictEqual(cleared.json().version, 3)
    }))

  it.effect("PATCH with null on a required field, or an unknown field, is a 400 and changes nothing", () =>
    Effect.gen(function*() {
      const created = (yield* create(lion)).json()
      const path = `/v1/animals/${created.id}`
      const response = yield* request(path, { method: "PATCH", ...jsonBody({ name: null, wings: 2 }) })
      assert.strictEqual(response.status, 400)
      const paths = response.json().errors.map((e: { path: Array<string> }) => e.path.join("."))
      assert.sameMembers(paths, ["payload.name", "payload.wings"])
      assert.strictEqual((yield* request(path)).json().version, 1)
    }))

  it.effect("DELETE answers 204 and the animal is gone", () =>
    Effect.gen(function*() {
      const created = (yield* create(lion)).json()
      const deleted = yield* request(`/v1/animals/${created.id}`, { method: "DELETE" })
      assert.strictEqual(deleted.status, 204)
      assert.strictEqual(deleted.text, "")
      assert.strictEqual((yield* request(`/v1/animals/${created.id}`)).status, 404)
    }))
})

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("HTTP: bounded inputs", (it) => {
  it.effect("every input is bounded, as the document says: past a bound, a 400 naming the input", () =>
    Effect.gen(function*() {
      const id = "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"
      const cases: ReadonlyArray<readonly [string, RequestInit, ReadonlyArray<string>]> = [
        [`/v2/animals?${"species=lion&".repeat(7)}`, {}, ["query", "species"]],
        [`/v2/animals?cursor=${"a".repeat(4097)}`, {}, ["query", "cursor"]],
        ["/v2/animals?cursor=not%20base64url", {}, ["query", "cursor"]],
        [`/v2/animals?name=${"x".repeat(101)}`, {}, ["query", "name"]],
        [`/v2/animals/${id}`, { headers: { "if-none-match": `"${"1".repeat(1100)}"` } }, ["headers", "if-none-match"]],
        [`/v2/animals/${id}`, { method: "DELETE", headers: { "if-match": `"${"1".repeat(1100)}"` } }, ["headers", "if-match"]]
      ]
      for (const [path, init, errorPath] of cases) {
        const response = yield* request(path, init)
        assert.strictEqual(response.status, 400, `${path.slice(0, 60)}: ${response.text.slice(0, 200)}`)
        assert.deepInclude(response.json().errors.map((error: { path: Array<string> }) => error.path), errorPath)
      }
      // At the bounds: fine.
      assert.strictEqual((yield* request(`/v2/animals?${"species=lion&".repeat(6)}name=${"x".repeat(100)}`)).status, 200)
    }))
})

/** A repository that fails in a way nobody planned for. */
const BrokenRepository = Layer.succeed(AnimalsRepository, AnimalsRepository.of({
  list: () => Effect.die(new Error("secret connection string postgres://admin:hunter2@db")),
  findById: () => Effect.die("boom"),
  create: () => Effect.die("boom"),
  replace: () => Effect.die("boom"),
  patch: () => Effect.die("boom"),
  remove: () => Effect.die("boom")
}))

/** What the server logged: kept here, so the fixture's fake secret never reaches the test output. */
const logged: Array<{ readonly level: string; readonly requestId: unknown; readonly cause: string }> = []
const capturedLogs = Logger.layer([
  Logger.make((options) => {
    const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
    logged.push({ level: options.logLevel, requestId: annotations.request_id, cause: Cause.pretty(options.cause) })
  })
])

layer(TestServer(Layer.merge(MemoryRepositories, BrokenRepository)).pipe(Layer.provide(capturedLogs)), { excludeTestServices: true })(
  "HTTP: defects",
  (it) => {
    it.effect("a defect is a 500 problem that says nothing about its cause; the log line has the cause and the request id", () =>
      Effect.gen(function*() {
        const response = yield* request("/v1/animals")
        assert.strictEqual(response.status, 500)
        assert.strictEqual(response.headers.get("content-type"), problemJson)
        // Nothing but the status and what ties it to the request (the log line with the cause has the same id).
        expect(response.json()).toEqual({
          type: "about:blank",
          title: "Internal Server Error",
          status: 500,
          request_id: response.headers.get("x-request-id"),
          instance: "/v1/animals"
        })
        assert.notInclude(response.text, "hunter2")
        const line = logged.find((entry) => entry.requestId === response.headers.get("x-request-id"))
        assert.isDefined(line, JSON.stringify(logged.map((entry) => entry.level)))
        assert.strictEqual(line?.level, "Error")
        assert.include(line?.cause, "secret connection string")
      }))
  }
)
