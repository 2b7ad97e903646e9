/**
 * Paths match exactly as written (SPEC §4; issue 14 items 6 and 12): an alias
 * of a route (`;` parameters, another case, doubled or trailing slashes,
 * percent-encoded letters) is an unknown path, 404, and never reaches a
 * handler; every URL the service puts into a header is built from parsed
 * parts. A path id over 100 characters, or one whose percent-encoding is not
 * UTF-8, is the 400 of any other bad id, on every operation.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { OpenApi } from "effect/http-api"
import * as Http from "node:http"
import { Api } from "../src/Api.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import { baseUrl, rawRequest, request, TestServer, testApiKey } from "./support/TestServer.ts"

/** `Link` as rel → target. */
const linksOf = (response: { readonly headers: Headers }) =>
  Object.fromEntries(
    (response.headers.get("link") ?? "").split(/,(?=\s*<)/).filter((part) => part.trim() !== "").map((part) => {
      const [, target, rel] = /<([^>]*)>\s*;\s*rel="([^"]+)"/.exec(part) ?? []
      return [rel, target]
    })
  )

const newAnimal = (name: string) =>
  Effect.map(
    request("/v2/animals", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, species: "tiger", date_of_birth: "2020-01-01" })
    }),
    (response) => response.json() as { readonly id: string }
  )

const assertRouteNotFound = (response: { readonly status: number; readonly text: string; readonly json: () => any }, label: string) => {
  assert.strictEqual(response.status, 404, `${label}: ${response.text}`)
  assert.strictEqual(response.json().type, "/problems/route-not-found", label)
}

const longId = "a".repeat(101)
const badIds = [["an id of 101 characters", longId], ["an id whose percent-encoding is not UTF-8", "%FF"], ["a 3000-character id", "b".repeat(3000)]] as const

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("paths match exactly as written", (it) => {
  it.effect("aliases of a collection are 404 route-not-found, never a list", () =>
    Effect.gen(function*() {
      yield* newAnimal("Alias Tiger")
      for (
        const path of [
          "/V1/animals",
          "/v1/ANIMALS",
          "//v1/animals",
          "/v1//animals",
          "/v1/animals/",
          "/v1/%61nimals",
          "/v2/animals;x",
          "/v2/animals;?species=tiger&limit=1",
          "/v2/animals;x?limit=999",
          "/V2/animals?limit=1"
        ]
      ) {
        assertRouteNotFound(yield* rawRequest(path), path)
      }
    }))

  it.effect("aliases of an item are 404, and a DELETE through one deletes nothing", () =>
    Effect.gen(function*() {
      const { id } = yield* newAnimal("Kept Tiger")
      for (const path of [`/v2/animals;x/${id}`, `/v2/animals/${id};x`, `/V2/animals/${id}`, `//v2/animals/${id}`]) {
        assertRouteNotFound(yield* rawRequest(path), `GET ${path}`)
        assertRouteNotFound(yield* rawRequest(path, { method: "DELETE", headers: { "x-api-key": testApiKey } }), `DELETE ${path}`)
      }
      assert.strictEqual((yield* rawRequest(`/v2/animals/${id}`)).status, 200, "still there")
    }))

  it.effect("v1 aliases carry no other route's answer, and a successor link holds nothing the client wrote raw", () =>
    Effect.gen(function*() {
      const response = yield* rawRequest("/v1/animals;>,<https://evil.example/>;rel=\"next\"")
      assertRouteNotFound(response, "the injection path")
      const links = linksOf(response)
      assert.deepStrictEqual(Object.keys(links), ["successor-version"])
      assert.notMatch(links["successor-version"], /[<>",;]/)
      assert.notInclude(response.headers.get("link")!, "evil.example/>")
    }))

  it.effect("the same path sent raw (as a raw client can): 404, and the Link holds none of its text", () =>
    Effect.gen(function*() {
      const url = new URL(yield* baseUrl)
      const response = yield* Effect.promise(() =>
        new Promise<{ readonly status: number | undefined; readonly link: string | undefined }>((resolve, reject) => {
          const sent = Http.get(
            { host: url.hostname, port: url.port, path: "/v1/animals;>,<https://evil.example/>;rel=\"next\"", agent: false, timeout: 10_000 },
            (answer) => {
              answer.resume()
              resolve({ status: answer.statusCode, link: answer.headers.link as string | undefined })
            }
          )
          sent.once("timeout", () => sent.destroy(new Error("no answer in 10 s")))
          sent.once("error", reject)
        })
      )
      assert.strictEqual(response.status, 404)
      assert.isDefined(response.link)
      assert.notInclude(response.link, "evil.example/>")
      assert.notInclude(response.link, "rel=\"next\"")
      assert.deepStrictEqual(Object.keys(linksOf({ headers: new Headers({ link: response.link }) })), ["successor-version"])
    }))

  it.effect("the next link of a list is the route's own path", () =>
    Effect.gen(function*() {
      yield* newAnimal("Page Tiger One")
      yield* newAnimal("Page Tiger Two")
      const v1 = linksOf(yield* rawRequest("/v1/animals?limit=1"))
      assert.match(v1.next, /^\/v1\/animals\?/)
      assert.strictEqual(v1["successor-version"], "/v2/animals")
      const v2 = linksOf(yield* rawRequest("/v2/animals?limit=1"))
      assert.match(v2.next, /^\/v2\/animals\?/)
    }))

  for (const [label, id] of badIds) {
    it.effect(`${label}: a 400 naming the id on GET, HEAD, OPTIONS, PUT, PATCH, DELETE and relations`, () =>
      Effect.gen(function*() {
        const json = { "content-type": "application/json", "x-api-key": testApiKey }
        const cases: ReadonlyArray<readonly [string, string, RequestInit]> = [
          ["GET", `/v2/animals/${id}`, {}],
          ["OPTIONS", `/v2/animals/${id}`, {}],
          ["PUT", `/v2/animals/${id}`, { headers: json, body: JSON.stringify({ name: "Bad Id Tiger", species: "tiger", date_of_birth: "2020-01-01" }) }],
          ["PATCH", `/v1/habitats/${id}`, { headers: json, body: "{}" }],
          ["DELETE", `/v1/zookeepers/${id}`, { headers: json }],
          ["GET", `/v2/habitats/${id}/animals`, {}]
        ]
        for (const [method, path, init] of cases) {
          const response = yield* rawRequest(path, { method, ...init })
          const name = `${method} ${label}`
          assert.strictEqual(response.status, 400, `${name}: ${response.text}`)
          assert.strictEqual(response.headers.get("content-type"), "application/problem+json", name)
          const problem = response.json()
          assert.isNotEmpty(problem.errors, name)
          for (const error of problem.errors) assert.deepStrictEqual(error.path, ["params", "id"], name)
        }
        const head = yield* rawRequest(`/v2/animals/${id}`, { method: "HEAD" })
        assert.strictEqual(head.status, 400)
      }))
  }

  it.effect("a bad id on a write without credentials is still a 401: credentials come first", () =>
    Effect.gen(function*() {
      for (const id of [longId, "%FF"]) {
        const response = yield* rawRequest(`/v2/animals/${id}`, { method: "DELETE", headers: { "x-api-key": "wrong" } })
        assert.strictEqual(response.status, 401, response.text)
      }
    }))
})

describe("the OpenAPI document", () => {
  it("documents the 400 of a bad path id on every operation with a path parameter, OPTIONS included", () => {
    const spec = OpenApi.fromApi(Api) as { readonly paths: Record<string, Record<string, { readonly responses?: Record<string, unknown> }>> }
    let checked = 0
    for (const [path, methods] of Object.entries(spec.paths)) {
      if (!path.includes("{")) continue
      for (const [method, operation] of Object.entries(methods)) {
        if (operation.responses === undefined) continue
        checked++
        assert.property(operation.responses, "400", `${method.toUpperCase()} ${path}`)
      }
    }
    assert.isAbove(checked, 20)
    assert.isTrue(Object.entries(spec.paths).some(([path, methods]) => path.includes("{") && "options" in methods), "OPTIONS on an item is checked")
  })
})
