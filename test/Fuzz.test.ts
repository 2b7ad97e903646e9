/**
 * Property tests: whatever a client sends — random JSON bodies, paths,
 * methods, headers — the server answers, and never with a 5xx.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { MemoryRepositories } from "../src/Http/App.ts"
import { withTestKey } from "./support/Credentials.ts"
import { baseUrl, TestServer } from "./support/TestServer.ts"

/** Writes carry the test key, so the bodies reach the handlers rather than stop at a 401. */
const send = async (url: string, init: RequestInit) => {
  const response = await fetch(url, { ...withTestKey(init), signal: AbortSignal.timeout(5_000) })
  const text = await response.text()
  return { status: response.status, type: response.headers.get("content-type"), text }
}

/** Values shaped like an animal, with every field sometimes wrong. */
const animalish = fc.record({
  id: fc.oneof(fc.uuid(), fc.string(), fc.integer(), fc.constant(null)),
  name: fc.oneof(fc.string({ unit: "grapheme", maxLength: 120 }), fc.integer(), fc.constant(null)),
  date_of_birth: fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    fc.string(),
    fc.constant("2021-02-29")
  ),
  species: fc.oneof(fc.constantFrom("lion", "tiger", "elephant", "monkey", "zebra", "panda"), fc.string()),
  nickname: fc.oneof(fc.string(), fc.constant(null), fc.array(fc.string()))
}, { requiredKeys: [] })

const body = fc.oneof(animalish.map((v) => JSON.stringify(v)), fc.json(), fc.string())

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("fuzz", (it) => {
  it.effect("random bodies to POST, PUT and PATCH never cause a 5xx", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            body,
            fc.constantFrom("POST /v1/animals", "PUT /v1/animals/6f1c2b8e-3d4a-4b5c-8d9e-0f1a2b3c4d5e", "PATCH /v1/animals/6f1c2b8e-3d4a-4b5c-8d9e-0f1a2b3c4d5e"),
            fc.constantFrom("application/json", "application/merge-patch+json", "text/plain", "application/json; charset=utf-8"),
            async (payload, route, contentType) => {
              const [method, path] = route.split(" ") as [string, string]
              const response = await send(url + path, { method, headers: { "content-type": contentType }, body: payload })
              assert.isBelow(response.status, 500, `${route} ${payload} -> ${response.status} ${response.text}`)
              if (response.status >= 400) assert.strictEqual(response.type, "application/problem+json")
            }
          ),
          { numRuns: 300 }
        )
      )
    }))

  it.effect("random paths, methods and headers never cause a 5xx", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      const segment = fc.oneof(fc.webSegment(), fc.constantFrom("v1", "animals", "docs", "..", "%00", "%ZZ"))
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(segment, { maxLength: 5 }),
            fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
            fc.dictionary(fc.constantFrom("accept", "if-none-match", "x-request-id", "content-type"), fc.string({ unit: "binary-ascii" }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
            async (segments, method, headers) => {
              const hasBody = method === "POST" || method === "PUT" || method === "PATCH"
              const response = await send(`${url}/${segments.join("/")}`, {
                method,
                headers,
                ...(hasBody && { body: "{}" })
              })
              assert.isBelow(response.status, 500, `${method} /${segments.join("/")} -> ${response.status} ${response.text}`)
            }
          ),
          { numRuns: 300 }
        )
      )
    }))
})
