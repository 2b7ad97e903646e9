/**
 * CORS from the `CORS_ORIGINS` allowlist (SPEC §6), and the security headers
 * every response carries.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryRepositories } from "../src/Repositories.ts"
import { rawRequest, request, TestServer, testApiKey } from "./support/TestServer.ts"

const allowed = "https://zoo.example"
const other = "https://evil.example"

const preflight = (path: string, origin: string, method = "POST") =>
  rawRequest(path, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "content-type, x-api-key" }
  })

const corsHeaders = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith("access-control-"))

layer(TestServer(MemoryRepositories, { corsOrigins: [allowed, "http://localhost:5173"] }), { excludeTestServices: true })(
  "CORS_ORIGINS=https://zoo.example,http://localhost:5173",
  (it) => {
    it.effect("a preflight from an allowed origin: 204 with the path's methods, the API's headers and a max age", () =>
      Effect.gen(function*() {
        const collection = yield* preflight("/v1/animals", allowed)
        assert.strictEqual(collection.status, 204)
        assert.strictEqual(collection.text, "")
        assert.strictEqual(collection.headers.get("access-control-allow-origin"), allowed)
        assert.strictEqual(collection.headers.get("access-control-allow-methods"), "GET, HEAD, POST, OPTIONS")
        const headers = collection.headers.get("access-control-allow-headers")!.split(", ")
        assert.includeMembers(headers, ["content-type", "x-api-key", "authorization", "if-match", "if-none-match", "x-request-id"])
        assert.strictEqual(collection.headers.get("access-control-max-age"), "7200")
        assert.include(collection.headers.get("vary"), "Origin")
        assert.isNull(collection.headers.get("access-control-allow-credentials"))

        const item = yield* preflight("/v1/animals/00000000-0000-4000-8000-000000000000", "http://localhost:5173", "PATCH")
        assert.strictEqual(item.status, 204)
        assert.strictEqual(item.headers.get("access-control-allow-origin"), "http://localhost:5173")
        assert.strictEqual(item.headers.get("access-control-allow-methods"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
      }))

    it.effect("a preflight from any other origin gets no CORS headers: it reaches the API's own OPTIONS", () =>
      Effect.gen(function*() {
        for (const origin of [other, "https://zoo.example.evil.example", "https://ZOO.example", "null"]) {
          const response = yield* preflight("/v1/animals", origin)
          assert.deepStrictEqual(corsHeaders(response.headers), [], origin)
          assert.strictEqual(response.status, 200, origin)
          assert.strictEqual(response.headers.get("allow"), "GET, HEAD, POST, OPTIONS")
          assert.strictEqual(response.json().max_page_size, 100)
        }
      }))

    it.effect("a plain OPTIONS (no Origin, or no Access-Control-Request-Method) is the API's: capabilities, or Allow", () =>
      Effect.gen(function*() {
        const capabilities = yield* rawRequest("/v1/animals", { method: "OPTIONS" })
        assert.strictEqual(capabilities.status, 200)
        assert.isArray(capabilities.json().filters)
        assert.deepStrictEqual(corsHeaders(capabilities.headers), [])

        const allow = yield* rawRequest("/v1/animals/00000000-0000-4000-8000-000000000000", { method: "OPTIONS", headers: { origin: allowed } })
        assert.strictEqual(allow.status, 204)
        assert.strictEqual(allow.headers.get("allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
        // From an allowed origin, it is an actual cross-origin request: readable by the page.
        assert.strictEqual(allow.headers.get("access-control-allow-origin"), allowed)
        assert.isNull(allow.headers.get("access-control-allow-methods"))
      }))

    it.effect("a preflight to an unknown path is not answered as one: 404 problem", () =>
      Effect.gen(function*() {
        const response = yield* preflight("/v1/giraffes", allowed)
        assert.strictEqual(response.status, 404)
        assert.isNull(response.headers.get("access-control-allow-methods"))
      }))

    it.effect("actual responses to an allowed origin name it and expose the API's headers, errors included", () =>
      Effect.gen(function*() {
        const created = yield* request("/v1/animals", {
          method: "POST",
          headers: { origin: allowed, "content-type": "application/json" },
          body: JSON.stringify({ name: "Cors Lion", date_of_birth: "2020-01-01", species: "lion" })
        })
        assert.strictEqual(created.status, 201)
        assert.strictEqual(created.headers.get("access-control-allow-origin"), allowed)
        assert.include(created.headers.get("vary"), "Origin")
        const exposed = created.headers.get("access-control-expose-headers")!.split(", ")
        assert.includeMembers(exposed, [
          "ETag",
          "Location",
          "Link",
          "X-Total-Count",
          "X-Request-Id",
          "RateLimit-Limit",
          "RateLimit-Remaining",
          "RateLimit-Reset",
          "Retry-After",
          "Deprecation",
          "Sunset",
          "Last-Modified"
        ])

        for (const [path, status] of [["/v1/animals", 200], ["/v1/animals/not-a-uuid", 400], ["/v1/giraffes", 404]] as const) {
          const response = yield* rawRequest(path, { headers: { origin: allowed } })
          assert.strictEqual(response.status, status, path)
          assert.strictEqual(response.headers.get("access-control-allow-origin"), allowed, path)
        }
        const unauthorized = yield* rawRequest("/v1/animals", { method: "POST", headers: { origin: allowed, "content-type": "application/json" }, body: "{}" })
        assert.strictEqual(unauthorized.status, 401)
        assert.strictEqual(unauthorized.headers.get("access-control-allow-origin"), allowed)
      }))

    it.effect("actual responses to any other origin carry no CORS headers (but Vary: Origin, for caches)", () =>
      Effect.gen(function*() {
        for (const headers of [{ origin: other }, {}]) {
          const response = yield* rawRequest("/v1/animals", { headers })
          assert.strictEqual(response.status, 200)
          assert.deepStrictEqual(corsHeaders(response.headers), [])
          assert.strictEqual(response.headers.get("vary"), "Origin")
        }
      }))
  }
)

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("CORS_ORIGINS unset (the default)", (it) => {
  it.effect("no CORS at all: a preflight reaches the API's OPTIONS, and nothing names an origin", () =>
    Effect.gen(function*() {
      const response = yield* preflight("/v1/animals", allowed)
      assert.strictEqual(response.status, 200)
      assert.deepStrictEqual(corsHeaders(response.headers), [])
      const get = yield* rawRequest("/v1/animals", { headers: { origin: allowed } })
      assert.deepStrictEqual(corsHeaders(get.headers), [])
      assert.isNull(get.headers.get("vary"))
    }))

  it.effect("every response carries nosniff and no-referrer, and no X-Powered-By; errors are no-store", () =>
    Effect.gen(function*() {
      const responses = {
        list: yield* rawRequest("/v1/animals"),
        created: yield* rawRequest("/v1/animals", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": testApiKey },
          body: JSON.stringify({ name: "Safe Lion", date_of_birth: "2020-01-01", species: "lion" })
        }),
        allow: yield* rawRequest("/v1/animals/00000000-0000-4000-8000-000000000000", { method: "OPTIONS" }),
        notFound: yield* rawRequest("/v1/giraffes"),
        badRequest: yield* rawRequest("/v1/animals/not-a-uuid"),
        notAcceptable: yield* rawRequest("/v1/animals", { headers: { accept: "text/html" } }),
        health: yield* rawRequest("/healthz"),
        document: yield* rawRequest("/openapi.json"),
        docs: yield* rawRequest("/docs")
      }
      for (const [name, response] of Object.entries(responses)) {
        assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff", name)
        assert.strictEqual(response.headers.get("referrer-policy"), "no-referrer", name)
        assert.isNull(response.headers.get("x-powered-by"), name)
        if (response.status >= 400) assert.strictEqual(response.headers.get("cache-control"), "no-store", name)
      }
      assert.strictEqual(responses.created.status, 201)
      assert.include(responses.docs.headers.get("content-security-policy"), "default-src 'none'")
    }))
})
