/**
 * Property-based fuzzing over the typed contract, on a real listening server,
 * in memory, on PGlite and on PostgreSQL (when `TEST_DATABASE_URL` is set):
 * SQL is where text, numbers and dates the schemas let through can still break (a NUL in a name was a 500, an unpaired surrogate came back
 * as U+FFFD).
 *
 * - Valid bodies, generated from the field rules (`test/support/Arbitraries.ts`),
 *   round-trip: POST then GET (and the list, filtered by the name) return what
 *   was sent; so do PUT and PATCH.
 * - Invalid bodies, bytes, content types and encodings, query strings, paths
 *   and header values get a 4xx `application/problem+json` whose `status` is
 *   the response's: never a 5xx, never a hang (every request has a deadline).
 *   After each property, the server is still healthy.
 *
 * A fresh seed every run, printed (in the suites' names too); a failure
 * prints the smallest input found and the command that replays it
 * (`FUZZ_SEED=…`). `FUZZ_RUNS` sets the number of cases of every property,
 * for a longer run.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import fc from "fast-check"
import { MemoryRepositories, SqlRepositories } from "../src/Repositories.ts"
import { isUtf8 } from "node:buffer"
import { apiVersions } from "../src/Shared/Versions.ts"
import {
  type Answer,
  assertWellFormed,
  bodyWithInvalidUtf8,
  collectionNamed,
  cursorOf,
  type FuzzCollection,
  fuzzCollections,
  headerValues,
  hostileDocument,
  invalidBody,
  listQuery,
  pathSegment,
  percentEncode,
  type QueryParam,
  queryString,
  type Refs,
  serverFields,
  uniquely,
  uuid,
  validBody,
  validPatch
} from "./support/Arbitraries.ts"
import { withTestKey } from "./support/Credentials.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "./support/Databases.ts"
import { fetchText } from "./support/Fetch.ts"
import { listing } from "./support/Pages.ts"
import { baseUrl, TestServer } from "./support/TestServer.ts"

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/** An integer from the environment, at least `min`; `undefined` when unset. */
const integerFromEnv = (name: string, min: number): number | undefined => {
  const text = process.env[name]
  if (text === undefined || text === "") return undefined
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, got ${text}`)
  return value
}

/** The seed of every property: a fresh one every run (other cases each time), or FUZZ_SEED's to replay a run. */
const seed = integerFromEnv("FUZZ_SEED", -(2 ** 31)) ?? Math.floor(Math.random() * 2 ** 31)
/** FUZZ_RUNS: the cases of every property (default: each property's own, a few hundred in all). */
const runsOverride = integerFromEnv("FUZZ_RUNS", 1)
const runs = (defaultRuns: number) => runsOverride ?? defaultRuns

console.error(`Fuzz seed ${seed}: FUZZ_SEED=${seed} replays these cases`)

/** The command that replays one property's cases (a vitest name pattern is a regular expression). */
const replayCommand = (name: string) =>
  `FUZZ_SEED=${seed}${runsOverride === undefined ? "" : ` FUZZ_RUNS=${runsOverride}`} npx vitest run test/Fuzz.test.ts -t '${
    name.replace(/'/g, ".").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  }'`


/** The test server's BODY_LIMIT (the default): a larger body is a 413 before anything reads it. */
const bodyLimit = 1024 * 1024

// ---------------------------------------------------------------------------
// Requests: every one bounded, writes with the test key
// ---------------------------------------------------------------------------

/** A hang fails the property (an abort error) instead of the test run. */
const requestTimeoutMs = 5_000

const call = (url: string, path: string, init: RequestInit = {}) =>
  fetchText(url + path, { ...withTestKey(init), timeoutMs: requestTimeoutMs })

const jsonInit = (method: string, body: unknown, contentType = "application/json"): RequestInit => ({
  method,
  headers: { "content-type": contentType },
  body: JSON.stringify(body)
})

/** What a failing case prints: the request, shortened (a byte body in hex). */
const describeRequest = (method: string, path: string, body?: string | Uint8Array) => {
  const shown = body === undefined ? "" : typeof body === "string" ? body : Buffer.from(body).toString("hex")
  return `${method} ${path.slice(0, 300)} ${shown.slice(0, 300)}`.trimEnd()
}

/** The fields a client wrote, as the server returns them. */
const writable = (resource: Record<string, unknown>) => {
  const fields = { ...resource }
  for (const name of serverFields) delete fields[name]
  return fields
}

/** Whether two flat bodies hold the same fields with the same values (in any order). */
const sameFields = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => Object.hasOwn(b, key) && b[key] === value)

/** RFC 7396 on a flat body, written out again here so that the oracle is not the code under test. */
const mergePatch = (target: Record<string, unknown>, patch: Record<string, unknown>) => {
  const result = { ...target }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else result[key] = value
  }
  return result
}

/**
 * A write answered `expected.status` with a resource holding exactly
 * `expected.fields` (besides the server's), at row version
 * `expected.version`; and a read of it returns the same, with its ETag.
 */
const assertStored = async (
  url: string,
  base: string,
  answer: Answer,
  expected: { readonly status: number; readonly fields: Record<string, unknown>; readonly version: number }
) => {
  const about = `${base}: ${answer.status} ${answer.text.slice(0, 300)}`
  assert.strictEqual(answer.status, expected.status, about)
  const resource = JSON.parse(answer.text)
  assert.deepStrictEqual(writable(resource), expected.fields, about)
  assert.strictEqual(resource.version, expected.version, about)
  const read = await call(url, `${base}/${resource.id}`)
  assert.strictEqual(read.status, 200, read.text)
  assert.deepStrictEqual(read.json(), resource)
  assert.strictEqual(read.headers.get("etag"), `"${expected.version}"`)
  return resource
}

/** Creates `body` (made unique) and returns the stored resource. */
const create = async (url: string, collection: FuzzCollection, body: Record<string, unknown>) => {
  const response = await call(url, `/v2/${collection.name}`, jsonInit("POST", uniquely(collection, body)))
  assert.strictEqual(response.status, 201, `POST /v2/${collection.name}: ${response.text}`)
  return response.json()
}

/**
 * Rows for the bodies and paths of a property to refer to: two habitats (an
 * animal's `habitat_id`), a zookeeper with an animal in their care.
 */
const seedRows = async (url: string): Promise<Refs> => {
  // The largest capacity: a property (and its shrinking) moves many animals into them.
  const habitats = [await create(url, collectionNamed("habitats"), { name: "Fuzz Savanna", climate: "arid", capacity: 1000 })]
  habitats.push(await create(url, collectionNamed("habitats"), { name: "Fuzz Jungle", climate: "tropical", capacity: 1000 }))
  const animal = await create(url, collectionNamed("animals"), { ...collectionNamed("animals").example, habitat_id: habitats[0].id })
  const zookeeper = await create(url, collectionNamed("zookeepers"), collectionNamed("zookeepers").example)
  const care = await call(url, `/v2/zookeepers/${zookeeper.id}/animals/${animal.id}`, { method: "PUT" })
  assert.strictEqual(care.status, 204, care.text)
  return { habitats: habitats.map((row) => row.id), animals: [animal.id], zookeepers: [zookeeper.id] }
}

/** After a property: the process answers, the database too, and a valid write of each collection still works. */
const assertHealthy = async (url: string) => {
  const health = await call(url, "/healthz")
  assert.strictEqual(health.status, 200, `healthz: ${health.text}`)
  assert.deepStrictEqual(health.json(), { status: "ok" })
  const ready = await call(url, "/readyz")
  assert.strictEqual(ready.status, 200, `readyz: ${ready.text}`)
  for (const collection of fuzzCollections) await create(url, collection, collection.example)
}

/** An `it` of a server layer, as the properties use it. */
interface It {
  readonly effect: (name: string, f: () => Effect.Effect<void, unknown, any>, timeout?: number) => void
}

/**
 * One property as one test: fresh rows to refer to, `runs(defaultRuns)` cases
 * from the seed, then the health check. The test's deadline grows with the
 * cases (`msPerRun`); fast-check stops at it and reports the smallest failing
 * input found so far, rather than vitest killing it without one.
 */
const property = <Ts extends [unknown, ...Array<unknown>]>(
  it: It,
  name: string,
  options: { readonly defaultRuns: number; readonly msPerRun: number },
  make: (url: string, refs: Refs) => fc.IAsyncProperty<Ts>
) => {
  const numRuns = runs(options.defaultRuns)
  const timeout = 30_000 + numRuns * options.msPerRun
  it.effect(`${name} (${numRuns} cases)`, () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      yield* Effect.promise(async () => {
        const refs = await seedRows(url)
        try {
          await fc.assert(make(url, refs), {
            seed,
            numRuns,
            plugins: [fc.interruptAfterTimeLimit(timeout - 10_000, { failOnInterrupt: true })]
          })
        } catch (error) {
          throw new Error(`Replay: ${replayCommand(name)}\n${error instanceof Error ? error.message : String(error)}`, { cause: error })
        }
        await assertHealthy(url)
      })
    }), timeout)
}

// ---------------------------------------------------------------------------
// Where requests go
// ---------------------------------------------------------------------------

const anyCollection = fc.constantFrom(...fuzzCollections)
const anyVersion = fc.constantFrom(...apiVersions)

/** A write: POST to a collection, PUT or PATCH on a row that exists or not; any version. */
const writeTarget = (collection: FuzzCollection, refs: Refs) =>
  fc.record({
    version: anyVersion,
    method: fc.constantFrom("POST", "PUT", "PATCH"),
    id: fc.oneof(fc.constantFrom(...refs[collection.name]!), uuid)
  }).map(({ id, method, version }) => ({
    method,
    path: method === "POST" ? `/v${version}/${collection.name}` : `/v${version}/${collection.name}/${id}`
  }))

/**
 * A request to a row or a collection: the collection, a version, one of `methods`, a valid body and
 * patch for the collection, and what the property draws besides (`more`).
 */
const rowRequest = <M extends string, More>(
  refs: Refs,
  methods: readonly [M, ...Array<M>],
  more: fc.Arbitrary<More>
) =>
  anyCollection.chain((collection) =>
    fc.tuple(
      fc.record({
        collection: fc.constant(collection),
        version: anyVersion,
        method: fc.constantFrom(...methods),
        body: validBody(collection, refs, false),
        patch: validPatch(collection, refs)
      }),
      more
    ).map(([request, drawn]) => ({ ...request, ...drawn }))
  )

/** The media types a write accepts; PATCH takes a merge patch too (RFC 7396). */
const jsonTypes = (method: string) =>
  method === "PATCH" ? ["application/json", "application/merge-patch+json"] : ["application/json"]

/** A JSON write: a collection's write target, `payload` made for it, and a JSON media type the write takes. */
const jsonWrite = <A>(
  refs: Refs,
  payload: (collection: FuzzCollection, target: { readonly method: string; readonly path: string }) => fc.Arbitrary<A>
) =>
  anyCollection.chain((collection) =>
    writeTarget(collection, refs).chain((target) =>
      fc.record({
        target: fc.constant(target),
        payload: payload(collection, target),
        contentType: fc.constantFrom(...jsonTypes(target.method))
      })
    )
  )

/** The media type of a `Content-Type`, as the server reads it (lower case, no parameters); absent means JSON. */
const mediaType = (header: string | undefined) =>
  header === undefined ? "application/json" : header.toLowerCase().trim().split(";", 1)[0]!.trim()

/** A list endpoint: a collection's, or the animals of a habitat or a zookeeper (that exists or not). */
const listTarget = (refs: Refs) =>
  fc.oneof(
    fc.tuple(anyVersion, anyCollection).map(([version, collection]) => ({
      path: `/v${version}/${collection.name}`,
      version,
      collection,
      fixed: undefined as string | undefined,
      ownerExists: true
    })),
    fc.tuple(anyVersion, fc.constantFrom("habitats", "zookeepers"), fc.boolean()).chain(([version, owners, exists]) =>
      (exists ? fc.constantFrom(...refs[owners]!) : uuid).map((id) => ({
        path: `/v${version}/${owners}/${id}/animals`,
        version,
        collection: collectionNamed("animals"),
        // The path fixes this filter: it is not one of the list's parameters.
        fixed: owners === "habitats" ? "habitat_id" : "zookeeper_id",
        ownerExists: exists
      }))
    )
  )

/**
 * A cursor forged for this query: the sort and filters the server will
 * compare it with (as it decodes them), any position. Only then does the
 * position reach its checks, and the database.
 */
const forgeCursor = (collection: FuzzCollection, fixed: string | undefined, params: ReadonlyArray<QueryParam>, position: unknown) => {
  const filters: Record<string, unknown> = {}
  for (const [name, filter] of Object.entries(collection.filters)) {
    const values = params.filter((p) => p.name === name && !p.raw).map((p) => p.value)
    if (name === fixed || values.length === 0) continue
    filters[name] = filter.maxValues !== undefined ? values : values.at(-1)
  }
  const sort = params.filter((p) => p.name === "sort" && !p.raw).at(-1)?.value ?? "created_at"
  return cursorOf({ sort, filters, after: position })
}

/**
 * The parameters a 400 must name (the owner of the list exists): a refused
 * value, a name the list does not read, or one repeated where it may not be
 * (the limit, the sort, a cursor, a filter past its `maxValues`).
 */
const refusedParameters = (collection: FuzzCollection, fixed: string | undefined, params: ReadonlyArray<QueryParam>): Set<string> => {
  const read = params.filter((p) => p.name !== fixed)
  const repeats = (name: string) => read.filter((p) => p.name === name).length
  const refused = new Set(read.filter((p) => p.valid === false).map((p) => p.name))
  // The path fixes this filter: as a parameter it is unknown, whatever its value.
  if (fixed !== undefined && params.some((p) => p.name === fixed)) refused.add(fixed)
  for (const [name, filter] of Object.entries(collection.filters)) if (name !== fixed && repeats(name) > (filter.maxValues ?? 1)) refused.add(name)
  for (const name of ["limit", "sort", "cursor"]) if (repeats(name) > 1) refused.add(name)
  return refused
}

/**
 * What the contract answers the query, by its parameters alone: 400 when one
 * is refused (an unknown name too, the path's own filter included), 200 when
 * all are valid, `undefined` when either is right (a forged cursor).
 */
const expectedStatus = (collection: FuzzCollection, fixed: string | undefined, params: ReadonlyArray<QueryParam>): 200 | 400 | undefined =>
  refusedParameters(collection, fixed, params).size > 0 ? 400 : params.some((p) => p.valid !== true) ? undefined : 200

const sane = /^[A-Za-z0-9._-]{1,128}$/
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

// ---------------------------------------------------------------------------
// The properties, on one server
// ---------------------------------------------------------------------------

const properties = (it: It) => {
  for (const collection of fuzzCollections) {
    property(
      it,
      `${collection.name}: valid bodies round-trip through POST, GET and the list, PUT and PATCH`,
      { defaultRuns: 20, msPerRun: 400 },
      (url, refs) =>
        fc.asyncProperty(
          anyVersion,
          validBody(collection, refs),
          validBody(collection, refs, false),
          fc.boolean(),
          validPatch(collection, refs),
          fc.nat(),
          async (version, body, replacement, repeatId, patch, cut) => {
            const base = `/v${version}/${collection.name}`
            const sent = uniquely(collection, body)
            const { id: chosenId, ...fields } = sent
            const created = await assertStored(url, base, await call(url, base, jsonInit("POST", sent)), { status: 201, fields, version: 1 })
            if (chosenId !== undefined) assert.strictEqual(created.id, chosenId)
            const item = `${base}/${created.id}`

            // The list finds it by a prefix of its name (in code points), however odd the text.
            const name = [...String(created.name)]
            const prefix = name.slice(0, 1 + (cut % name.length)).join("")
            const listPath = `${base}?name=${percentEncode(prefix)}&sort=-created_at&limit=100`
            const page = await call(url, listPath)
            assert.strictEqual(page.status, 200, `${listPath}: ${page.text.slice(0, 300)}`)
            assert.deepInclude(listing(version).items(page), created, `${listPath} lists ${created.id}`)

            // A full replacement, with the path's id in the body or without one.
            const replacing = uniquely(collection, replacement)
            const put = await call(url, item, jsonInit("PUT", repeatId ? { ...replacing, id: created.id } : replacing))
            // A write that changes nothing is no write: the version stays.
            const afterPut = sameFields(writable(created), replacing) ? 1 : 2
            const replaced = await assertStored(url, base, put, { status: 200, fields: replacing, version: afterPut })
            assert.strictEqual(replaced.created_at, created.created_at)

            // A merge patch; one that changes nothing (empty, or every value as it is) leaves the version.
            const patching = uniquely(collection, patch)
            const patched = await call(url, item, jsonInit("PATCH", patching, "application/merge-patch+json"))
            const merged = mergePatch(replacing, patching)
            await assertStored(url, base, patched, { status: 200, fields: merged, version: afterPut + (sameFields(merged, replacing) ? 0 : 1) })
          }
        )
    )
  }

  property(
    it,
    "bodies with a refused value, a missing field or an unknown key (__proto__ included): 400 naming each",
    { defaultRuns: 60, msPerRun: 100 },
    (url, refs) =>
      fc.asyncProperty(
        jsonWrite(refs, (collection, target) => invalidBody(collection, target.method === "PATCH" ? "patch" : "create", refs)),
        async ({ contentType, payload: body, target }) => {
          const response = await call(url, target.path, { method: target.method, headers: { "content-type": contentType }, body: body.text })
          const about = describeRequest(target.method, target.path, body.text)
          assertWellFormed(target.method, response, about)
          // Three values each 100 000 levels deep can make a body too large to read at all.
          if (Buffer.byteLength(body.text) > bodyLimit) return assert.strictEqual(response.status, 413, about)
          assert.strictEqual(response.status, 400, about)
          const paths: Array<Array<unknown>> = response.json().errors.map((error: { path: Array<unknown> }) => error.path)
          for (const key of body.keys) {
            const named = paths.some((path) => path[0] === "payload" && path[1] === key)
            assert.isTrue(named, `${about}: names ${JSON.stringify(key)} in ${JSON.stringify(paths)}`)
          }
        }
      )
  )

  property(
    it,
    "documents that are no body (not an object, not JSON, empty, 100 000 levels deep): 400",
    { defaultRuns: 25, msPerRun: 150 },
    (url, refs) =>
      fc.asyncProperty(
        jsonWrite(refs, (collection) => hostileDocument(collection, refs)),
        async ({ contentType, payload: text, target }) => {
          const response = await call(url, target.path, { method: target.method, headers: { "content-type": contentType }, body: text })
          const about = describeRequest(target.method, target.path, text)
          assertWellFormed(target.method, response, about)
          assert.strictEqual(response.status, 400, about)
        }
      )
  )

  property(
    it,
    "bodies that are not UTF-8: 400; any bytes: never a 5xx",
    { defaultRuns: 25, msPerRun: 100 },
    (url, refs) =>
      fc.asyncProperty(
        anyCollection.chain((collection) =>
          fc.record({
            target: writeTarget(collection, refs),
            bytes: fc.oneof(bodyWithInvalidUtf8(collection, refs), fc.uint8Array({ maxLength: 200 }))
          })
        ),
        async ({ bytes, target }) => {
          const response = await call(url, target.path, { method: target.method, headers: { "content-type": "application/json" }, body: bytes })
          const about = describeRequest(target.method, target.path, bytes)
          assertWellFormed(target.method, response, about)
          if (!isUtf8(bytes)) {
            assert.strictEqual(response.status, 400, about)
            assert.deepInclude(response.json().errors, { path: ["payload"], message: "the request body: must be JSON encoded as UTF-8" }, about)
          }
        }
      )
  )

  property(
    it,
    "content types and encodings: 415 for a type the write does not take, 400 for an encoded body, else accepted",
    { defaultRuns: 25, msPerRun: 100 },
    (url, refs) =>
      fc.asyncProperty(
        rowRequest(refs, ["POST", "PUT", "PATCH"], fc.record({
          contentType: fc.option(headerValues["content-type"], { nil: undefined }),
          // Garbage behind a gzip magic number: the server decodes no content coding, so it is never JSON either.
          encoding: fc.option(fc.constantFrom("gzip", "br", "deflate", "x-unknown", "identity, gzip"), { nil: undefined }),
          garbage: fc.uint8Array({ maxLength: 64 })
        })),
        async ({ body, collection, contentType, encoding, garbage, method, patch, version }) => {
          const path = method === "POST" ? `/v${version}/${collection.name}` : `/v${version}/${collection.name}/${refs[collection.name]![0]}`
          const bytes = encoding !== undefined
            ? Uint8Array.from([0x1f, 0x8b, ...garbage])
            : new TextEncoder().encode(JSON.stringify(uniquely(collection, method === "PATCH" ? patch : body)))
          // A byte body, so that `fetch` adds no content type of its own.
          const headers: Record<string, string> = {
            ...(contentType !== undefined && { "content-type": contentType }),
            ...(encoding !== undefined && { "content-encoding": encoding })
          }
          const response = await call(url, path, { method, headers, body: bytes })
          const about = `${describeRequest(method, path, bytes)} ${JSON.stringify(headers)}`
          assertWellFormed(method, response, about)
          const expected = !jsonTypes(method).includes(mediaType(contentType))
            ? 415
            : encoding !== undefined
            ? 400
            : method === "POST"
            ? 201
            : 200
          assert.strictEqual(response.status, expected, about)
        }
      )
  )

  property(
    it,
    "query strings of every list (page controls, filters, unknown names, forged cursors, junk escapes): 200 when valid, a 400 naming the parameter when not",
    { defaultRuns: 50, msPerRun: 100 },
    (url, refs) =>
      fc.asyncProperty(
        listTarget(refs).chain((target) =>
          fc.record({ target: fc.constant(target), query: listQuery(target.collection, refs) })
        ),
        async ({ query: { forgedCursor, params }, target }) => {
          const all: Array<QueryParam> = [...params]
          if (forgedCursor !== undefined) {
            // Forged for this query, it may hold a position the list takes.
            all.push({ name: "cursor", value: forgeCursor(target.collection, target.fixed, params, forgedCursor), valid: undefined })
          }
          const path = `${target.path}?${queryString(all)}`
          const response = await call(url, path)
          const about = describeRequest("GET", path)
          assertWellFormed("GET", response, about)
          assert.include([200, 400, ...(target.ownerExists ? [] : [404])], response.status, about)
          if (response.status === 200) {
            assert.isArray(listing(target.version).items(response), about)
            assert.match(response.headers.get("x-total-count") ?? "", /^\d+$/, about)
          }
          const expected = expectedStatus(target.collection, target.fixed, all)
          if (expected !== undefined && (target.ownerExists || expected === 400)) {
            // A missing owner with a bad query: the 400 or the 404, whichever is checked first.
            assert.include(target.ownerExists ? [expected] : [400, 404], response.status, about)
          }
          if (response.status === 400) {
            // Every error names a parameter of the query (or the path's id), and every refused value is named.
            const paths: Array<Array<unknown>> = (response.json().errors ?? []).map((error: { path: Array<unknown> }) => error.path)
            const sent = new Set(all.map((p) => p.name))
            for (const path of paths) assert.isTrue(path[0] === "query" ? sent.has(String(path[1])) : path[0] === "params", `${about}: ${JSON.stringify(path)}`)
            // The cursor is read once the rest of the query is valid: it is named when it is what is wrong.
            const otherErrors = paths.some((path) => path[0] !== "query" || path[1] !== "cursor")
            for (const name of refusedParameters(target.collection, target.fixed, all)) {
              if (name === "cursor" && otherErrors) continue
              assert.isTrue(paths.some((path) => path[0] === "query" && path[1] === name), `${about}: names ${name} in ${JSON.stringify(paths)}`)
            }
          }
        }
      )
  )

  property(
    it,
    "paths and methods (ids, dots, junk escapes, Unicode, long segments): never a 5xx, errors as problems, 404 under /V1, /V2 and /v3",
    { defaultRuns: 50, msPerRun: 100 },
    (url, refs) => {
      const ids = Object.values(refs).flat()
      const segment = pathSegment(ids)
      const version = fc.constantFrom("v1", "v2", "v3", "V1", "V2", "", "%76%31")
      const collection = fc.constantFrom("animals", "habitats", "zookeepers", "animal", "ANIMALS", "%61nimals")
      const path = fc.oneof(
        fc.tuple(version, collection),
        fc.tuple(version, collection, segment),
        fc.tuple(version, collection, segment, fc.constantFrom("animals", "zookeepers"), segment),
        fc.tuple(version, collection, segment, segment),
        fc.array(segment, { maxLength: 5 })
      ).chain((parts) => fc.constantFrom("", "/", "//", "?", "#x").map((end) => `/${parts.join("/")}${end}`))
      return fc.asyncProperty(
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "PURGE", "QUERY"),
        path,
        fc.constantFrom("{}", "", JSON.stringify(collectionNamed("animals").example)),
        async (method, path, body) => {
          const hasBody = ["POST", "PUT", "PATCH"].includes(method)
          const response = await call(url, path, { method, ...(hasBody && { body, headers: { "content-type": "application/json" } }) })
          const about = describeRequest(method, path, body)
          assertWellFormed(method, response, about)
          if (response.status === 405) assert.isNotNull(response.headers.get("allow"), about)
          // Versions are `v1` and `v2`, matched exactly as written (SPEC §4): nothing lives under `/V1`, `/V2` or `/v3`.
          if (/^\/(V1|V2|v3)(\/|$|\?|#)/.test(path)) assert.strictEqual(response.status, 404, about)
        }
      )
    }
  )

  property(
    it,
    "writes with a stale or a wrong If-Match: 412 with the current ETag, and the row is unchanged",
    { defaultRuns: 20, msPerRun: 150 },
    (url, refs) =>
      fc.asyncProperty(
        rowRequest(refs, ["PUT", "PATCH", "DELETE"], fc.record({
          // The row is at version 2: 1 is the version before, the others never were.
          stale: fc.oneof(fc.constant(1), fc.integer({ min: 3, max: 2 ** 31 - 1 })),
          list: fc.boolean()
        })),
        async ({ body, collection, list, method, patch, stale, version }) => {
          const base = `/v${version}/${collection.name}`
          const created = await create(url, collection, collection.example)
          const item = `${base}/${created.id}`
          // Another name: a replacement that changes nothing would keep version 1.
          const replaced = await call(url, item, jsonInit("PUT", uniquely(collection, { ...collection.example, name: `${String(collection.example.name)} II` })))
          assert.strictEqual(replaced.status, 200, replaced.text)
          const ifMatch = list ? `"${stale}", "${stale + 7}"` : `"${stale}"`
          const sent = method === "DELETE" ? undefined : uniquely(collection, method === "PATCH" ? patch : body)
          const response = await call(url, item, {
            method,
            headers: {
              "if-match": ifMatch,
              ...(sent !== undefined && { "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json" })
            },
            ...(sent !== undefined && { body: JSON.stringify(sent) })
          })
          const about = `${describeRequest(method, item, JSON.stringify(sent))} If-Match: ${ifMatch}`
          assertWellFormed(method, response, about)
          assert.strictEqual(response.status, 412, about)
          assert.deepInclude(response.json(), { type: "/problems/precondition-failed", etag: `"2"` }, about)
          const read = await call(url, item)
          assert.strictEqual(read.status, 200, read.text)
          assert.deepStrictEqual(read.json(), replaced.json(), about)
        }
      )
  )

  property(
    it,
    "header values (accept, if-match, if-none-match, x-request-id, content-type): never a 5xx; sane request ids echoed",
    { defaultRuns: 40, msPerRun: 100 },
    (url, refs) =>
      fc.asyncProperty(
        rowRequest(refs, ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], fc.record({
          list: fc.boolean(),
          headers: fc.record(headerValues, { requiredKeys: [] })
        })),
        async ({ body, collection, headers, list, method, version }) => {
          const base = `/v${version}/${collection.name}`
          const path = method === "POST" || (method === "GET" && list) ? base : `${base}/${refs[collection.name]![0]}`
          const init: RequestInit = {
            method,
            headers,
            ...(["POST", "PUT", "PATCH"].includes(method) && { body: new TextEncoder().encode(JSON.stringify(uniquely(collection, body))) })
          }
          const response = await call(url, path, init)
          const about = `${describeRequest(method, path)} ${JSON.stringify(headers)}`
          assertWellFormed(method, response, about)
          // Sent as `fetch` sends it (without surrounding spaces and tabs), kept only when sane.
          const requestId = headers["x-request-id"]?.replace(/^[\t ]+|[\t ]+$/g, "")
          const echoed = response.headers.get("x-request-id") ?? ""
          if (requestId !== undefined && sane.test(requestId)) assert.strictEqual(echoed, requestId, about)
          else assert.match(echoed, uuidPattern, about)
        }
      )
  )
}

// ---------------------------------------------------------------------------
// Regressions: what the properties found, fixed
// ---------------------------------------------------------------------------

const regressions = (it: It) =>
  describe("found by fuzzing, fixed", () => {
    const lion = collectionNamed("animals").example

    it.effect("U+0000, an unpaired surrogate or a leading U+FEFF in a text field: 400 naming it (was a 500 on PostgreSQL, U+FFFD stored, the U+FEFF lost)", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        yield* Effect.promise(async () => {
          for (
            const [field, value] of [["name", "Leo\u0000 Lion"], ["name", "Leo \ud800 Lion"], ["nickname", "\udc00"], ["name", "\ufeffLeo \ufffd Lion"]] as const
          ) {
            const response = await call(url, "/v2/animals", jsonInit("POST", { ...lion, [field]: value }))
            assertWellFormed("POST", response, `${field}: ${JSON.stringify(value)}`)
            assert.strictEqual(response.status, 400, response.text)
            assert.deepInclude(response.json().errors.map((error: { path: ReadonlyArray<string> }) => error.path), ["payload", field])
          }
          const created = await create(url, collectionNamed("animals"), lion)
          const patch = await call(url, `/v2/animals/${created.id}`, jsonInit("PATCH", { name: "Leo\u0000 Lion" }))
          assert.strictEqual(patch.status, 400, patch.text)
        })
      }))

    it.effect("U+0000 in a name filter or a cursor's position: 400 (was a 500 on PostgreSQL)", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        yield* Effect.promise(async () => {
          const cursor = cursorOf({ sort: "name", filters: {}, after: { value: "abcde\u0000", id: "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f" } })
          for (const path of ["/v2/animals?name=%00abc", "/v1/habitats?name=ab%00", `/v1/animals?sort=name&cursor=${cursor}`]) {
            const response = await call(url, path)
            assertWellFormed("GET", response, path)
            assert.strictEqual(response.status, 400, `${path}: ${response.text}`)
          }
        })
      }))

    it.effect("the name filter ignores case a letter at a time, as lower() does: ΑΣ is a prefix of ΑΣΑ (was not, in memory)", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        yield* Effect.promise(async () => {
          const created = await create(url, collectionNamed("animals"), { ...lion, name: "ΑΣΑ the Lion" })
          for (const prefix of ["ΑΣ", "ασ", "ΑΣΑ", "ασα t"]) {
            const page = await call(url, `/v2/animals?name=${percentEncode(prefix)}&sort=-created_at&limit=100`)
            assert.strictEqual(page.status, 200, page.text)
            assert.include(page.json().items.map((row: { id: string }) => row.id), created.id, prefix)
          }
        })
      }))

    it.effect("dates in years 1 to 99 exist (were refused: Date.UTC reads them as 1900-1999); year 0 does not", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        yield* Effect.promise(async () => {
          for (const date of ["0001-01-01", "0050-03-01", "0004-02-29"]) {
            const created = await create(url, collectionNamed("animals"), { ...lion, date_of_birth: date })
            assert.strictEqual(created.date_of_birth, date)
            assert.strictEqual((await call(url, `/v2/animals/${created.id}`)).json().date_of_birth, date)
          }
          for (const date of ["0000-01-01", "0003-02-29"]) {
            const response = await call(url, "/v2/animals", jsonInit("POST", { ...lion, date_of_birth: date }))
            assert.strictEqual(response.status, 400, `${date}: ${response.text}`)
          }
        })
      }))

    it.effect("a JSON body that is not UTF-8: 400 (was decoded with U+FFFD and stored, 201)", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        yield* Effect.promise(async () => {
          // {"name":"Leo <FF> Lion",...}: the byte FF inside a string.
          const [before, after] = JSON.stringify(lion).split("the")
          const body = Uint8Array.from([...new TextEncoder().encode(before), 0xff, ...new TextEncoder().encode(after)])
          for (const contentType of ["application/json", "application/json; charset=utf-8"]) {
            const response = await call(url, "/v2/animals", { method: "POST", headers: { "content-type": contentType }, body })
            assertWellFormed("POST", response, contentType)
            assert.strictEqual(response.status, 400, response.text)
            assert.deepInclude(response.json().errors, { path: ["payload"], message: "the request body: must be JSON encoded as UTF-8" })
          }
        })
      }))

    it.effect("ids are UUIDs in lower case on every backend: an upper-case one is a 400 (memory kept it as sent, PostgreSQL folded it)", () =>
      Effect.gen(function*() {
        const url = yield* baseUrl
        yield* Effect.promise(async () => {
          const id = "0B9D2C4E-7F1A-4E0B-9C1D-2A3B4C5D6E7F"
          const created = await call(url, "/v2/animals", jsonInit("POST", { ...lion, id }))
          assert.strictEqual(created.status, 400, created.text)
          assert.deepInclude(created.json().errors, { path: ["payload", "id"], message: "\"id\": must be a UUID in lower case" })
          const read = await call(url, `/v2/animals/${id}`)
          assert.strictEqual(read.status, 400, read.text)
          assert.deepInclude(read.json().errors, { path: ["params", "id"], message: "\"id\": must be a UUID in lower case" })
        })
      }))
  })

// ---------------------------------------------------------------------------
// The servers
// ---------------------------------------------------------------------------

/**
 * Every backend: memory, PGlite (the default database, with its own wire
 * bridge in src/Repo/Pglite.ts) and PostgreSQL (when TEST_DATABASE_URL is set;
 * required under CI).
 */
const backends: ReadonlyArray<readonly [string, Layer.Layer<any, unknown>]> = [
  ["memory", MemoryRepositories],
  ["PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer()))],
  ...(skipPostgres ? [] : [["PostgreSQL", SqlRepositories.pipe(Layer.provide(postgresLayer("fuzz")))] as const])
]

for (const [backend, repositories] of backends) {
  layer(TestServer(repositories), { excludeTestServices: true, timeout: "60 seconds" })(`fuzz: ${backend} (seed ${seed})`, (it) => {
    properties(it)
    regressions(it)
  })
}
