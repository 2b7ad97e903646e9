/**
 * Errors for people: every 400 names the field or query parameter in plain
 * words and never a schema identifier; a query parameter an endpoint does not
 * declare is a 400 on every list (v1 and v2, relations, HEAD too); a 415 says
 * which media types the endpoint takes, and the OpenAPI document lists it on
 * every write.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryRepositories } from "../src/Repositories.ts"
import { jsonBody, request, TestServer } from "./support/TestServer.ts"

const habitat = { name: "Errors Pond", climate: "aquatic", capacity: 4 }
const problemJson = "application/problem+json"

/** The messages of a 400, in the order the service lists them. */
const messagesOf = (response: { readonly status: number; readonly json: () => any; readonly text: string }) => {
  assert.strictEqual(response.status, 400, response.text)
  return (response.json().errors as Array<{ readonly message: string }>).map((error) => error.message)
}

/** Schema identifiers the contract uses (`AnimalCreate`, `HabitatPatch`, ...): never in a message. */
const schemaIdentifier = /\b(Animal|Habitat|Zookeeper)(Create|Patch|Id)?\b|Expected /

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("errors for people", (it) => {
  describe("bodies", () => {
    it.effect("an unknown field, a null required field and a missing one are each named", () =>
      Effect.gen(function*() {
        const response = yield* request("/v2/habitats", { method: "POST", ...jsonBody({ name: null, colour: "green", capacity: 3 }) })
        assert.sameMembers(messagesOf(response), [
          "\"colour\": unknown field",
          "\"name\": must not be null — it is required",
          "\"climate\": is required"
        ])
      }))

    it.effect("PATCH with null on a required field says it is required; on an optional one null is fine", () =>
      Effect.gen(function*() {
        const created = (yield* request("/v2/animals", {
          method: "POST",
          ...jsonBody({ name: "Null Checker", date_of_birth: "2020-01-01", species: "zebra", nickname: "Z" })
        })).json()
        const refused = yield* request(`/v2/animals/${created.id}`, { method: "PATCH", ...jsonBody({ name: null, species: null }) })
        assert.sameMembers(messagesOf(refused), [
          "\"name\": must not be null — it is required",
          "\"species\": must not be null — it is required"
        ])
        const cleared = yield* request(`/v2/animals/${created.id}`, { method: "PATCH", ...jsonBody({ nickname: null }) })
        assert.strictEqual(cleared.status, 200)
        const pond = (yield* request("/v2/habitats", { method: "POST", ...jsonBody(habitat) })).json()
        const habitatPatch = yield* request(`/v2/habitats/${pond.id}`, { method: "PATCH", ...jsonBody({ capacity: null }) })
        assert.deepStrictEqual(messagesOf(habitatPatch), ["\"capacity\": must not be null — it is required"])
      }))

    it.effect("null on an optional field of a create says to leave it out", () =>
      Effect.gen(function*() {
        const response = yield* request("/v2/animals", {
          method: "POST",
          ...jsonBody({ name: "Null Nickname", date_of_birth: "2020-01-01", species: "lion", nickname: null })
        })
        assert.deepStrictEqual(messagesOf(response), ["\"nickname\": must not be null — leave it out instead"])
      }))

    it.effect("a body that is not an object, and values of the wrong kind, say what was expected without schema names", () =>
      Effect.gen(function*() {
        for (const body of [[1], "text", 5, null]) {
          const response = yield* request("/v2/habitats/00000000-0000-4000-8000-000000000000", { method: "PATCH", ...jsonBody(body) })
          assert.deepStrictEqual(messagesOf(response), ["the request body: must be a JSON object"], JSON.stringify(body))
        }
        const wrong = yield* request("/v2/animals", {
          method: "POST",
          ...jsonBody({ name: 5, date_of_birth: "2021-02-30", species: "dragon" })
        })
        const messages = messagesOf(wrong)
        assert.sameMembers(messages, [
          "\"name\": must be a string",
          "\"date_of_birth\": must be a real calendar date in the form YYYY-MM-DD",
          "\"species\": must be one of \"lion\", \"tiger\", \"elephant\", \"monkey\", \"zebra\", \"panda\""
        ])
        for (const message of messages) assert.notMatch(message, schemaIdentifier)
      }))
  })

  describe("query parameters", () => {
    const lists = [
      "/v1/animals",
      "/v2/animals",
      "/v1/habitats",
      "/v2/habitats",
      "/v1/zookeepers",
      "/v2/zookeepers",
      "/v1/habitats/00000000-0000-4000-8000-000000000000/animals",
      "/v2/habitats/00000000-0000-4000-8000-000000000000/animals",
      "/v1/zookeepers/00000000-0000-4000-8000-000000000000/animals",
      "/v2/zookeepers/00000000-0000-4000-8000-000000000000/animals"
    ]

    it.effect("an unknown query parameter is a 400 naming each one, on every list, GET and HEAD", () =>
      Effect.gen(function*() {
        for (const path of lists) {
          const response = yield* request(`${path}?specie=dragon&limt=2&limit=1`)
          assert.strictEqual(response.headers.get("content-type"), problemJson, path)
          assert.sameMembers(messagesOf(response), ["\"specie\": unknown query parameter", "\"limt\": unknown query parameter"], path)
          const head = yield* request(`${path}?specie=dragon`, { method: "HEAD" })
          assert.strictEqual(head.status, 400, `HEAD ${path}`)
        }
      }))

    it.effect("the declared ones still work, and bad values are named", () =>
      Effect.gen(function*() {
        assert.strictEqual((yield* request("/v2/animals?species=lion&species=tiger&sort=-name&limit=5")).status, 200)
        const response = yield* request("/v2/animals?limit=abc&sort=colour&species=dragon")
        assert.sameMembers(messagesOf(response), [
          "\"limit\": must be a number",
          "\"sort\": must be one of \"name\", \"date_of_birth\", \"created_at\", \"-name\", \"-date_of_birth\", \"-created_at\"",
          "\"species\": must be one of \"lion\", \"tiger\", \"elephant\", \"monkey\", \"zebra\", \"panda\""
        ])
      }))
  })

  describe("415", () => {
    it.effect("names the media types the endpoint takes", () =>
      Effect.gen(function*() {
        const post = yield* request("/v2/habitats", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(habitat) })
        assert.strictEqual(post.status, 415)
        assert.strictEqual(post.json().detail, "The body must be sent as application/json")
        const patch = yield* request("/v1/habitats/00000000-0000-4000-8000-000000000000", {
          method: "PATCH",
          headers: { "content-type": "application/xml" },
          body: "<habitat/>"
        })
        assert.strictEqual(patch.status, 415)
        assert.strictEqual(patch.json().detail, "The body must be sent as application/merge-patch+json or application/json")
      }))

    it.effect("is in the OpenAPI document on every operation that takes a body, with its media types in the example", () =>
      Effect.gen(function*() {
        const spec = (yield* request("/openapi.json")).json()
        let writes = 0
        for (const [path, operations] of Object.entries<Record<string, any>>(spec.paths)) {
          for (const [method, operation] of Object.entries<any>(operations)) {
            if (operation.requestBody === undefined) continue
            writes++
            const response = operation.responses["415"]
            assert.isDefined(response, `${method} ${path}`)
            const example = response.content["application/problem+json"].example
            assert.strictEqual(example.status, 415)
            for (const type of Object.keys(operation.requestBody.content)) assert.include(example.detail, type, `${method} ${path}`)
          }
        }
        // POST and PUT and PATCH on three collections, in two versions.
        assert.strictEqual(writes, 18)
      }))
  })
})
