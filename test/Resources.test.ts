/**
 * The resource contract over HTTP, for every collection in
 * `test/support/Collections.ts`, in every API version, on a real listening
 * server: in memory, on PGlite, and on PostgreSQL when `TEST_DATABASE_URL` is
 * set. HEAD, OPTIONS, 405, keyset pages (through `Link` in v1, through the
 * envelope's `next_cursor` in v2), cursors, conditional GET and writes, merge
 * patch, media types, and what the OpenAPI document says of them.
 *
 * Each test works in a scope of its own (a tag in its rows and the filter
 * that selects them), so counts and pages are exact on a shared server.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { MemoryRepositories, SqlRepositories } from "../src/Repositories.ts"
import { type ApiVersion, apiVersions } from "../src/Shared/Versions.ts"
import {
  type Collection,
  collections,
  filterParams,
  matchesAll,
  newTag,
  seedForFilters,
  type Seeder,
  sortRows
} from "./support/Collections.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "./support/Databases.ts"
import { follow as followPages, listing, nextOf, type Response } from "./support/Pages.ts"
import { jsonBody, request, TestServer } from "./support/TestServer.ts"

const problemJson = "application/problem+json"
const collectionAllow = "GET, HEAD, POST, OPTIONS"
const itemAllow = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"
const missingId = "00000000-0000-4000-8000-000000000000"

const toBase64Url = (text: string) =>
  Buffer.from(text, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

/** Asserts an `application/problem+json` response with this status, uncached; returns its body. */
const assertProblem = (response: Response, status: number, fields: Record<string, unknown> = {}) => {
  assert.strictEqual(response.status, status, response.text)
  assert.strictEqual(response.headers.get("content-type"), problemJson)
  assert.strictEqual(response.headers.get("cache-control"), "no-store")
  const body = response.json()
  assert.deepInclude(body, { status, ...fields })
  assert.isString(body.title)
  return body
}

/** A 400 naming exactly these error paths. */
const assertBadRequest = (response: Response, paths: ReadonlyArray<ReadonlyArray<string>>) => {
  const body = assertProblem(response, 400)
  assert.sameDeepMembers(body.errors.map((error: { path: Array<string> }) => error.path), paths as Array<Array<string>>)
  return body
}

/** A 400 whose errors name exactly these query parameters (a repeatable one with the index of the value). */
const assertNamesParameters = (response: Response, names: ReadonlyArray<string>) => {
  const body = assertProblem(response, 400)
  const paths: Array<Array<unknown>> = body.errors.map((error: { path: Array<unknown> }) => error.path)
  for (const path of paths) assert.strictEqual(path[0], "query", JSON.stringify(paths))
  assert.sameMembers([...new Set(paths.map((path) => path[1]))], [...names], JSON.stringify(paths))
}

/** Rows and links made over HTTP, in one version. */
const httpSeeder = (version: ApiVersion): Seeder => ({
  create: (collection, body) =>
    Effect.map(request(`/v${version}/${collection}`, { method: "POST", ...jsonBody(body) }), (response) => {
      assert.strictEqual(response.status, 201, response.text)
      assert.strictEqual(response.headers.get("location"), `/v${version}/${collection}/${response.json().id}`)
      return response.json()
    }),
  link: (owners, ownerId, members, memberId) =>
    Effect.map(request(`/v${version}/${owners}/${ownerId}/${members}/${memberId}`, { method: "PUT" }), (response) => {
      assert.strictEqual(response.status, 204, response.text)
    })
})

/**
 * The suite of one collection in one version on one backend. `only: "pages"`
 * keeps the lists' tests: the versions share every other handler, so the
 * rest of the suite needs one run per backend, not one per version.
 */
const resourceSuite = (collection: Collection, backend: string, version: ApiVersion, only?: "pages") => {
  const section = (name: string, tests: () => void) => (only === undefined || name === only ? describe(name, tests) : undefined)
  const base = `/v${version}/${collection.name}`
  const seeder = httpSeeder(version)
  const list = listing(version)
  const create = (body: Record<string, unknown>): Effect.Effect<any, unknown, any> => seeder.create(collection.name, body)
  const seed = (count: number, tag = newTag()) =>
    Effect.map(Effect.forEach(Array.from({ length: count }, (_, i) => collection.make(i, tag)), create), (rows) => ({ rows, tag }))
  const listPath = (values: Readonly<Record<string, unknown>>, extra: Record<string, string> = {}) => {
    const params = filterParams(values)
    for (const [name, value] of Object.entries(extra)) params.set(name, value)
    return `${base}?${params}`
  }
  /** Follows the list from `path` (bounded), checking every page: by `next` links in v1, by `next_cursor` in v2. */
  const follow = <R = never>(path: string, between?: (page: number) => Effect.Effect<void, never, R>) =>
    followPages(version, path, between)
  const ids = (rows: ReadonlyArray<{ readonly id: string }>) => rows.map((row) => row.id)
  const item = (id: string) => `${base}/${id}`
  const write = (method: "PUT" | "PATCH" | "DELETE", id: string, body: unknown, ifMatch?: string) =>
    request(item(id), {
      method,
      headers: {
        ...(body !== undefined && { "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json" }),
        ...(ifMatch !== undefined && { "if-match": ifMatch })
      },
      ...(body !== undefined && { body: JSON.stringify(body) })
    })

  return (it: { effect: (name: string, f: () => Effect.Effect<void, unknown, any>) => void }) =>
    describe(`${collection.name} v${version} (${backend})`, () => {
      section("HEAD and OPTIONS", () => {
        it.effect("HEAD on the list answers GET's status and headers, without a body", () =>
          Effect.gen(function*() {
            const { tag } = yield* seed(3)
            const path = listPath(collection.scope(tag), { limit: "2" })
            const get = yield* request(path)
            const head = yield* request(path, { method: "HEAD" })
            assert.strictEqual(get.status, 200)
            assert.strictEqual(head.status, 200)
            assert.strictEqual(head.text, "")
            assert.strictEqual(get.headers.get("x-total-count"), "3")
            assert.isNotNull(get.headers.get("last-modified"))
            assert.isDefined(nextOf(get))
            for (const name of ["content-type", "x-total-count", "last-modified", "link", "cache-control"]) {
              assert.strictEqual(head.headers.get(name), get.headers.get(name), name)
            }
          }))

        it.effect("HEAD on an item answers GET's status and headers, without a body; on a missing one, 404", () =>
          Effect.gen(function*() {
            const { rows: [created] } = yield* seed(1)
            const get = yield* request(item(created.id))
            const head = yield* request(item(created.id), { method: "HEAD" })
            assert.strictEqual(head.status, 200)
            assert.strictEqual(head.text, "")
            assert.strictEqual(get.headers.get("etag"), "\"1\"")
            for (const name of ["content-type", "etag", "last-modified", "cache-control"]) {
              assert.strictEqual(head.headers.get(name), get.headers.get(name), name)
            }
            const missing = yield* request(item(missingId), { method: "HEAD" })
            assert.strictEqual(missing.status, 404)
            assert.strictEqual(missing.text, "")
          }))

        it.effect("OPTIONS on the collection: 200, Allow and the capabilities document", () =>
          Effect.gen(function*() {
            const response = yield* request(base, { method: "OPTIONS" })
            assert.strictEqual(response.status, 200)
            assert.strictEqual(response.headers.get("allow"), collectionAllow)
            assert.match(response.headers.get("content-type")!, /^application\/json/)
            const body = response.json()
            assert.deepStrictEqual(Object.keys(body).sort(), ["default_page_size", "filters", "max_page_size", "methods", "sort"])
            assert.deepStrictEqual(body.methods, ["GET", "HEAD", "POST", "OPTIONS"])
            assert.strictEqual(body.default_page_size, 20)
            assert.strictEqual(body.max_page_size, 100)
            assert.deepStrictEqual(body.sort, collection.capabilities.sort)
            assert.deepStrictEqual(
              body.filters.map(({ description: _, ...filter }: { description: string }) => filter),
              collection.capabilities.filters
            )
            for (const filter of body.filters) assert.isAbove(filter.description.length, 0)
          }))

        it.effect("OPTIONS on an item: 204 with Allow and no body", () =>
          Effect.gen(function*() {
            const response = yield* request(item(missingId), { method: "OPTIONS" })
            assert.strictEqual(response.status, 204)
            assert.strictEqual(response.headers.get("allow"), itemAllow)
            assert.strictEqual(response.text, "")
          }))

        it.effect("unsupported methods are a 405 problem with Allow", () =>
          Effect.gen(function*() {
            for (const method of ["PUT", "PATCH", "DELETE"]) {
              const response = yield* request(base, { method, ...jsonBody(collection.make(0, newTag())) })
              assertProblem(response, 405, { type: "/problems/method-not-allowed", allow: collectionAllow.split(", ") })
              assert.strictEqual(response.headers.get("allow"), collectionAllow, method)
            }
            const response = yield* request(item(missingId), { method: "POST", ...jsonBody(collection.make(0, newTag())) })
            assertProblem(response, 405, { type: "/problems/method-not-allowed", allow: itemAllow.split(", ") })
            assert.strictEqual(response.headers.get("allow"), itemAllow)
          }))
      })

      describe("pages", () => {
        it.effect("25 rows by limit=10 following Link: 10, 10, 5, complete, in order, without duplicates", () =>
          Effect.gen(function*() {
            const { rows, tag } = yield* seed(25)
            const { pages, rows: listed } = yield* follow(listPath(collection.scope(tag), { limit: "10" }))
            assert.deepStrictEqual(pages.map((page) => list.items(page).length), [10, 10, 5])
            for (const page of pages) assert.strictEqual(page.headers.get("x-total-count"), "25")
            assert.deepStrictEqual(ids(listed), ids(sortRows(rows, "created_at", false)))
          }))

        it.effect("rows inserted between pages: no row skipped or repeated, for every sort", () =>
          Effect.gen(function*() {
            for (const sort of collection.capabilities.sort) {
              const { rows, tag } = yield* seed(25)
              let made = 25
              const inserted: Array<{ id: string }> = []
              const { rows: listed } = yield* follow(
                listPath(collection.scope(tag), { limit: "10", sort }),
                () =>
                  Effect.map(
                    Effect.forEach([made++, made++, made++], (i) => create(collection.make(i, tag))),
                    (created) => void inserted.push(...created)
                  ).pipe(Effect.orDie)
              )
              const seen = ids(listed)
              assert.strictEqual(new Set(seen).size, seen.length, `${sort}: no duplicates`)
              for (const row of rows) assert.include(seen, row.id, `${sort}: nothing skipped`)
              for (const id of seen) assert.isTrue([...rows, ...inserted].some((row) => row.id === id))
              const field = sort.replace(/^-/, "")
              assert.deepStrictEqual(seen, ids(sortRows(listed, field, sort.startsWith("-"))), `${sort}: in order`)
            }
          }))

        it.effect("filters, sort and limit carry over into the next link", () =>
          Effect.gen(function*() {
            const tag = newTag()
            const { refs, rows } = yield* seedForFilters(collection, 20, tag, seeder)
            for (const values of collection.filterCases(tag, refs)) {
              for (const sort of collection.capabilities.sort) {
                const expected = sortRows(rows.filter(matchesAll(collection, values, refs)), sort.replace(/^-/, ""), sort.startsWith("-"))
                const { pages, rows: listed } = yield* follow(listPath(values, { limit: "2", sort }))
                const label = `${JSON.stringify(values)} ${sort}`
                assert.deepStrictEqual(ids(listed), ids(expected), label)
                assert.strictEqual(pages.length, Math.max(1, Math.ceil(expected.length / 2)), label)
                for (const page of pages) assert.strictEqual(page.headers.get("x-total-count"), String(expected.length), label)
                const next = pages.length > 1 ? nextOf(pages[0]!)! : undefined
                if (next !== undefined) {
                  const url = new URL(next, "http://x")
                  assert.strictEqual(url.pathname, base)
                  assert.strictEqual(url.searchParams.get("sort"), sort)
                  assert.strictEqual(url.searchParams.get("limit"), "2")
                  for (const [name, value] of Object.entries(values)) {
                    assert.deepStrictEqual(url.searchParams.getAll(name), (Array.isArray(value) ? value : [value]).map(String), label)
                  }
                }
              }
            }
          }))

        it.effect("limit outside 1..100 is a 400 problem naming it", () =>
          Effect.gen(function*() {
            for (const limit of ["101", "0", "-1", "ten", "1.5"]) {
              assertBadRequest(yield* request(`${base}?limit=${limit}`), [["query", "limit"]])
            }
            assert.strictEqual((yield* request(`${base}?limit=100`)).status, 200)
            assert.strictEqual((yield* request(`${base}?limit=1`)).status, 200)
          }))

        it.effect("a filter or sort value the list does not take is a 400 problem naming the parameter; a valid one is a 200", () =>
          Effect.gen(function*() {
            for (const [name, bad, good] of collection.badQueries) {
              assertNamesParameters(yield* request(`${base}?${new URLSearchParams({ [name]: bad })}`), [name])
              const accepted = yield* request(`${base}?${new URLSearchParams({ [name]: good })}`)
              assert.strictEqual(accepted.status, 200, `${name}=${good}: ${accepted.text.slice(0, 200)}`)
            }
            // Two bad values at once: both named.
            const [[first, firstBad], second] = [collection.badQueries[0]!, collection.badQueries.find(([name]) => name !== collection.badQueries[0]![0])!]
            const both = new URLSearchParams([[first, firstBad], [second[0], second[1]]])
            assertNamesParameters(yield* request(`${base}?${both}`), [first, second[0]])
          }))

        it.effect("a tampered cursor is a 400 problem, never a 500", () =>
          Effect.gen(function*() {
            const { rows, tag } = yield* seed(3)
            const scope = collection.scope(tag)
            const sorts = collection.capabilities.sort
            const linkFor = (sort: string) => Effect.map(request(listPath(scope, { limit: "1", sort })), (response) => nextOf(response)!)
            const cursorOf = (link: string) => new URL(link, "http://x").searchParams.get("cursor")!
            const otherSortCursor = cursorOf(yield* linkFor(sorts[0]!))
            const otherScopeCursor = cursorOf(yield* Effect.map(request(listPath(collection.scope(newTag()), { limit: "1" })), (r) => nextOf(r) ?? "/?cursor=x"))
            const forged = (sort: string, after: { value: unknown; id: unknown }) =>
              toBase64Url(JSON.stringify({ sort, filters: scope, after }))
            const cursors: Array<readonly [string, string, string]> = [
              ["random text", "not a cursor!", sorts[0]!],
              ["base64 of junk", toBase64Url("\u0000junk\u00ff"), sorts[0]!],
              ["base64 of JSON of another shape", toBase64Url(JSON.stringify({ hello: "world" })), sorts[0]!],
              ["base64 of a JSON array", toBase64Url("[1,2,3]"), sorts[0]!],
              ["a cursor from another sort", otherSortCursor, sorts[1]!],
              ["a cursor from other filters", otherScopeCursor, "created_at"],
              ["an id that is not a UUID", forged("created_at", { value: rows[0].created_at, id: "' OR 1=1 --" }), "created_at"],
              ["a number for the id", forged("created_at", { value: rows[0].created_at, id: 7 }), "created_at"],
              ["a created_at that is not a timestamp", forged("created_at", { value: "yesterday", id: rows[0].id }), "created_at"],
              ["a created_at out of range", forged("created_at", { value: "2026-13-45T99:00:00.000Z", id: rows[0].id }), "created_at"]
            ]
            // Sort fields holding dates or numbers refuse a value of another type.
            for (const sort of sorts.filter((sort) => !sort.startsWith("-"))) {
              const sample = rows[0][sort]
              if (typeof sample === "number" || /^\d{4}-\d{2}-\d{2}/.test(String(sample))) {
                cursors.push([`a ${sort} of the wrong type`, forged(sort, { value: "not-a-value", id: rows[0].id }), sort])
                cursors.push([`a ${sort} that is an object`, forged(sort, { value: { a: 1 }, id: rows[0].id }), sort])
              }
            }
            for (const [label, cursor, sort] of cursors) {
              const response = yield* request(listPath(scope, { cursor, sort }))
              assert.strictEqual(response.status, 400, `${label}: ${response.text.slice(0, 200)}`)
              assertBadRequest(response, [["query", "cursor"]])
            }
            // A cursor we made is fine with the query it came from.
            const valid = yield* request(yield* linkFor(sorts[0]!))
            assert.strictEqual(valid.status, 200)
          }))
      })

      section("conditional GET", () => {
        it.effect("GET an item: ETag and Last-Modified; If-None-Match with it (or weak, or in a list, or *) is a 304 without a body", () =>
          Effect.gen(function*() {
            const { rows: [created] } = yield* seed(1)
            const get = yield* request(item(created.id))
            assert.strictEqual(get.status, 200)
            assert.deepStrictEqual(get.json(), created)
            assert.strictEqual(get.headers.get("etag"), "\"1\"")
            assert.strictEqual(get.headers.get("last-modified"), new Date(created.updated_at).toUTCString())
            for (const tag of ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"]) {
              const response = yield* request(item(created.id), { headers: { "if-none-match": tag } })
              assert.strictEqual(response.status, 304, tag)
              assert.strictEqual(response.text, "", tag)
              assert.strictEqual(response.headers.get("etag"), "\"1\"", tag)
            }
            yield* write("PATCH", created.id, collection.patch)
            for (const tag of ["\"1\"", "W/\"1\"", "\"2x\""]) {
              const stale = yield* request(item(created.id), { headers: { "if-none-match": tag } })
              assert.strictEqual(stale.status, 200, tag)
              assert.strictEqual(stale.headers.get("etag"), "\"2\"")
              assert.strictEqual(stale.json().version, 2)
            }
          }))

        it.effect("an unknown id is a 404 problem of the collection, on every method", () =>
          Effect.gen(function*() {
            const type = `/problems/${collection.singular}-not-found`
            assertProblem(yield* request(item(missingId)), 404, { type, id: missingId })
            assertProblem(yield* write("PUT", missingId, collection.make(0, newTag())), 404, { type, id: missingId })
            assertProblem(yield* write("PATCH", missingId, collection.patch, "\"1\""), 404, { type, id: missingId })
            assertProblem(yield* write("DELETE", missingId, undefined, "\"1\""), 404, { type, id: missingId })
          }))
      })

      section("conditional writes", () => {
        it.effect("PUT, PATCH and DELETE with a stale If-Match: 412 problem with the current ETag, and nothing changes", () =>
          Effect.gen(function*() {
            const { rows: [created], tag } = yield* seed(1)
            yield* write("PATCH", created.id, collection.patch)
            const current = (yield* request(item(created.id))).json()
            for (const ifMatch of ["\"1\"", "W/\"2\"", "\"3\"", "\"nonsense\"", "\"1\", \"3\""]) {
              for (
                const [method, body] of [
                  ["PUT", collection.replacement(tag)],
                  ["PATCH", collection.patch],
                  ["PATCH", {}],
                  ["DELETE", undefined]
                ] as const
              ) {
                const response = yield* write(method, created.id, body, ifMatch)
                assertProblem(response, 412, { type: "/problems/precondition-failed", etag: "\"2\"" })
              }
            }
            const after = yield* request(item(created.id))
            assert.strictEqual(after.status, 200)
            assert.deepStrictEqual(after.json(), current)
          }))

        it.effect("PUT, PATCH and DELETE with the current If-Match (or several, or *) go through", () =>
          Effect.gen(function*() {
            const { rows: [created], tag } = yield* seed(1)
            const put = yield* write("PUT", created.id, collection.replacement(tag), "\"1\"")
            assert.strictEqual(put.status, 200, put.text)
            assert.strictEqual(put.headers.get("etag"), "\"2\"")
            assert.deepInclude(put.json(), { ...collection.replacement(tag), id: created.id, version: 2 })
            const patch = yield* write("PATCH", created.id, collection.patch, "\"9\", \"2\"")
            assert.strictEqual(patch.status, 200, patch.text)
            assert.strictEqual(patch.headers.get("etag"), "\"3\"")
            assert.deepInclude(patch.json(), { ...collection.patch, version: 3 })
            const star = yield* write("PATCH", created.id, {}, "*")
            assert.strictEqual(star.status, 200)
            assert.strictEqual(star.json().version, 3)
            const deleted = yield* write("DELETE", created.id, undefined, "\"3\"")
            assert.strictEqual(deleted.status, 204)
            assert.strictEqual(deleted.text, "")
            assert.strictEqual((yield* request(item(created.id))).status, 404)
          }))

        it.effect("20 concurrent PUTs with one ETag: one 200, nineteen 412", () =>
          Effect.gen(function*() {
            const { rows: [created], tag } = yield* seed(1)
            const responses = yield* Effect.forEach(
              Array.from({ length: 20 }, (_, i) => i),
              (i) => write("PUT", created.id, collection.make(i + 1, tag), "\"1\""),
              { concurrency: "unbounded" }
            )
            const statuses = responses.map((response) => response.status)
            assert.strictEqual(statuses.filter((status) => status === 200).length, 1, String(statuses))
            assert.strictEqual(statuses.filter((status) => status === 412).length, 19, String(statuses))
            const winner = responses.find((response) => response.status === 200)!.json()
            for (const response of responses) {
              if (response.status === 412) assertProblem(response, 412, { etag: "\"2\"" })
            }
            assert.deepStrictEqual((yield* request(item(created.id))).json(), winner)
          }))
      })

      if (collection.unique !== undefined) {
        const { field, same } = collection.unique
        section(`the unique ${field}`, () => {
          it.effect(`POST, PUT and PATCH with a ${field} another row holds: 409 problem naming it, and nothing changes`, () =>
            Effect.gen(function*() {
              const { rows: [first, second], tag } = yield* seed(2)
              const value = first[field] as string
              const type = `/problems/${collection.singular}-${field}-taken`
              for (const spelling of [value, same(value)]) {
                const posted = yield* request(base, { method: "POST", ...jsonBody({ ...collection.make(2, tag), [field]: spelling }) })
                assertProblem(posted, 409, { type, field, value: spelling })
                const put = yield* write("PUT", second.id, { ...collection.make(1, tag), [field]: spelling }, "\"1\"")
                assertProblem(put, 409, { type, field, value: spelling })
                const patched = yield* write("PATCH", second.id, { [field]: spelling })
                assertProblem(patched, 409, { type, field, value: spelling })
              }
              assert.deepStrictEqual((yield* request(item(second.id))).json(), second)
              assert.strictEqual((yield* request(listPath(collection.scope(tag)))).headers.get("x-total-count"), "2")
            }))
        })
      }

      section("merge patch and media types", () => {
        it.effect(`PATCH {"${collection.required}": null} is a 400 and changes nothing; null clears an optional field`, () =>
          Effect.gen(function*() {
            const { rows: [created] } = yield* seed(1)
            const refused = yield* request(item(created.id), {
              method: "PATCH",
              ...jsonBody({ [collection.required]: null }, "application/merge-patch+json")
            })
            assertBadRequest(refused, [["payload", collection.required]])
            assert.deepStrictEqual((yield* request(item(created.id))).json(), created)
            const optional = collection.optional
            if (optional === undefined) return
            assert.property(created, optional)
            const cleared = yield* request(item(created.id), { method: "PATCH", ...jsonBody({ [optional]: null }) })
            assert.strictEqual(cleared.status, 200, cleared.text)
            const { [optional]: _cleared, ...rest } = created
            assert.deepStrictEqual(cleared.json(), { ...rest, updated_at: cleared.json().updated_at, version: 2 })
            assert.deepStrictEqual((yield* request(item(created.id))).json(), cleared.json())
          }))

        it.effect("a body that is not JSON is a 415 problem on POST, PUT and PATCH", () =>
          Effect.gen(function*() {
            const { rows: [created], tag } = yield* seed(1)
            for (const [method, path] of [["POST", base], ["PUT", item(created.id)], ["PATCH", item(created.id)]] as const) {
              const body = JSON.stringify(method === "PATCH" ? collection.patch : collection.make(1, tag))
              for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
                const response = yield* request(path, { method, headers: { "content-type": contentType }, body })
                assertProblem(response, 415, { title: "Unsupported Media Type" })
              }
            }
            assert.strictEqual((yield* request(item(created.id))).json().version, 1)
          }))

        it.effect("Accept without JSON is a 406 problem (sent as JSON anyway); with JSON among others, 200", () =>
          Effect.gen(function*() {
            const { rows: [created] } = yield* seed(1)
            for (const path of [base, item(created.id)]) {
              for (const accept of ["text/html", "application/xml", "text/*", "application/json;q=0"]) {
                const response = yield* request(path, { headers: { accept } })
                assertProblem(response, 406, { type: "/problems/not-acceptable" })
              }
              for (const accept of ["application/json", "text/html, application/json;q=0.5", "*/*", "application/*", "application/problem+json"]) {
                assert.strictEqual((yield* request(path, { headers: { accept } })).status, 200, `${path} ${accept}`)
              }
            }
          }))
      })
    })
}

/** Every version runs whole in memory; on a database, v1 runs whole and v2 its lists. */
const pagesOnly = (backend: string, version: ApiVersion) => (backend !== "memory" && version !== 1 ? "pages" as const : undefined)

const backends: Array<readonly [string, Layer.Layer<any, unknown>]> = [
  ["memory", MemoryRepositories],
  ["PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer()))]
]

for (const [backend, repositories] of backends) {
  layer(TestServer(repositories), { excludeTestServices: true, timeout: "60 seconds" })(`HTTP resources: ${backend}`, (it) => {
    for (const collection of collections) {
      for (const version of apiVersions) resourceSuite(collection, backend, version, pagesOnly(backend, version))(it)
    }
  })
}

describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  layer(TestServer(SqlRepositories.pipe(Layer.provide(postgresLayer("resources_http")))), {
    excludeTestServices: true,
    timeout: "60 seconds"
  })("HTTP resources: PostgreSQL", (it) => {
    for (const collection of collections) {
      for (const version of apiVersions) resourceSuite(collection, "PostgreSQL", version, pagesOnly("PostgreSQL", version))(it)
    }
  })
})

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("OpenAPI: what the resources document", (it) => {
  const document = Effect.map(request("/openapi.json"), (response) => {
    assert.strictEqual(response.status, 200)
    return response.json()
  })
  const resolve = (spec: any, ref: string) => {
    const [, kind, name] = /^#\/components\/(schemas|responses)\/(.+)$/.exec(ref)!
    const target = spec.components[kind!][name!]
    assert.isDefined(target, `${ref} resolves`)
    return target
  }

  for (const collection of collections) {
    for (const version of apiVersions) {
    const base = `/v${version}/${collection.name}`
    const item = `${base}/{id}`
    const name = `${collection.name} v${version}`

    it.effect(`${name}: 304 on GET by id, with its ETag`, () =>
      Effect.gen(function*() {
        const spec = yield* document
        const notModified = spec.paths[item].get.responses["304"]
        assert.isDefined(notModified)
        assert.isUndefined(notModified.content, "a 304 has no body")
        assert.property(notModified.headers, "etag")
        assert.property(spec.paths[item].get.responses["200"].headers, "last-modified")
        assert.property(spec.paths[item].get.parameters.find((p: any) => p.name === "if-none-match") ?? {}, "in")
      }))

    it.effect(`${name}: 412 problem on PUT, PATCH and DELETE, with an If-Match header parameter`, () =>
      Effect.gen(function*() {
        const spec = yield* document
        for (const method of ["put", "patch", "delete"]) {
          const operation = spec.paths[item][method]
          const media = operation.responses["412"]?.content?.[problemJson]
          assert.isDefined(media, `${method} documents 412`)
          const schema = resolve(spec, media.schema.$ref)
          assert.property(schema.properties, "etag")
          assert.deepInclude(media.example, { status: 412, type: "/problems/precondition-failed" })
          assert.isDefined(operation.parameters.find((p: any) => p.name === "if-match" && p.in === "header"), `${method} if-match`)
        }
        assert.isUndefined(spec.paths[item].get.responses["412"])
      }))

    it.effect(`${name}: OPTIONS documents the capabilities document and Allow`, () =>
      Effect.gen(function*() {
        const spec = yield* document
        const ok = spec.paths[base].options.responses["200"]
        const capabilities = resolve(spec, ok.content["application/json"].schema.$ref)
        assert.sameMembers(capabilities.required, ["methods", "default_page_size", "max_page_size", "filters", "sort"])
        assert.property(ok.headers, "allow")
        assert.property(spec.paths[item].options.responses["204"].headers, "allow")
      }))

    it.effect(`${name}: the list documents X-Total-Count, Last-Modified, Link and the page parameters`, () =>
      Effect.gen(function*() {
        const spec = yield* document
        const list = spec.paths[base].get
        assert.containsAllKeys(list.responses["200"].headers, ["x-total-count", "last-modified", "link"])
        // The body: an array of the resource in v1, the envelope in v2.
        const body = list.responses["200"].content["application/json"].schema
        const resource = spec.paths[item].get.responses["200"].content["application/json"].schema
        if (version === 1) assert.deepStrictEqual(body, { type: "array", items: resource, maxItems: 100 })
        else {
          const envelope = resolve(spec, body.$ref)
          assert.sameMembers(envelope.required, ["items", "next_cursor", "total"])
          assert.deepStrictEqual(envelope.properties.items.items, resource)
          assert.strictEqual(envelope.properties.items.maxItems, 100)
        }
        const parameters = list.parameters.map((p: any) => p.name)
        assert.includeMembers(parameters, ["limit", "cursor", "sort", ...collection.capabilities.filters.map((f) => f.name)])
        for (const parameter of list.parameters) assert.isFalse(parameter.required, parameter.name)
        const sort = list.parameters.find((p: any) => p.name === "sort")
        assert.sameMembers(sort.schema.enum, [...collection.capabilities.sort])
        // What decoding enforces, as an integer (effect alone documents the string encoding, unbounded).
        const limit = list.parameters.find((p: any) => p.name === "limit")
        assert.deepInclude(limit.schema, { type: "integer", minimum: 1, maximum: 100, default: 20 })
        assert.strictEqual(list.parameters.find((p: any) => p.name === "cursor").schema.maxLength, 4096)
      }))
  }
  }

  it.effect("405, 406 and 415 are documented as problem responses with examples", () =>
    Effect.gen(function*() {
      const spec = yield* document
      for (const [name, status] of [["MethodNotAllowed", 405], ["NotAcceptable", 406], ["UnsupportedMediaType", 415]] as const) {
        const response = spec.components.responses[name]
        assert.isDefined(response, name)
        const media = response.content[problemJson]
        assert.strictEqual(media.example.status, status, name)
        const schema = resolve(spec, media.schema.$ref)
        assert.strictEqual(schema.type, "object", name)
      }
      assert.isDefined(spec.components.responses.MethodNotAllowed.headers.Allow)
    }))
})
