/**
 * Cursors a client edited or made up (issue 14, item 2): always a 400 naming
 * `query.cursor`, never a 500, on `/v1` and `/v2`, every collection list and
 * relation list, in memory, on PGlite and on PostgreSQL. Two layers hold it:
 * the cursor is signed (HMAC-SHA-256), so an edited one is refused before it
 * is read; and a position is checked against its sort field's own schema, so
 * even a cursor signed with a known secret (the development default is
 * public) cannot hand the database a value it cannot compare.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { createHmac } from "node:crypto"
import { MemoryRepositories, type Repositories, SqlRepositories } from "../src/Repositories.ts"
import { cursorKey, CursorSecret } from "../src/Shared/Listing.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "./support/Databases.ts"
import { jsonBody, request, TestServer } from "./support/TestServer.ts"

/** The secret these servers sign with; the tests sign forged cursors with it too (node:crypto, not the code under test). */
const secret = "cursor-test-secret-0123456789-abcdefghij"

const unique = () => globalThis.crypto.randomUUID().slice(0, 8)
const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url")

/** A cursor as a client could make one: base64url JSON, unsigned (the format before signing). */
const unsigned = (payload: unknown) => base64url(JSON.stringify(payload))
/** A cursor signed with `key`: `<base64url JSON>.<base64url HMAC-SHA-256 of the JSON>`. */
const signed = (payload: unknown, key = secret) => {
  const json = JSON.stringify(payload)
  return `${base64url(json)}.${createHmac("sha256", key).update(json).digest("base64url")}`
}

const post = (path: string, body: unknown) =>
  Effect.map(request(path, { method: "POST", ...jsonBody(body) }), (response) => {
    assert.strictEqual(response.status, 201, response.text)
    return response.json()
  })

const assertCursorRefused = (response: { status: number; headers: Headers; text: string; json: () => any }, what: string) => {
  assert.strictEqual(response.status, 400, `${what}: ${response.text}`)
  assert.strictEqual(response.headers.get("content-type"), "application/problem+json", what)
  assert.deepInclude(response.json().errors.map((e: { path: ReadonlyArray<string> }) => e.path.join(".")), "query.cursor", what)
}

/** Positions no sort field can hold, by field: the values the attack used, and their kin. */
const badPositions: Readonly<Record<string, ReadonlyArray<unknown>>> = {
  capacity: ["1e3", "12.0", "12", 12.5, 0, 1001, -1, null, "abc"],
  created_at: [
    "0000-01-01T00:00:00.000Z",
    "+275760-09-13T00:00:00.000Z",
    "-000001-01-01T00:00:00.000Z",
    "2026-01-05T10:00:00Z",
    "2026-02-30T10:00:00.000Z",
    12
  ],
  name: ["abc\u0000def", "\ud800xyzab", 5],
  date_of_birth: ["0000-01-01", "2021-02-30", "+002021-01-01", "yesterday"],
  hired_on: ["0000-01-01", "2021-13-01", 20200101]
}

const id = "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"

const cursorSuite = (name: string, repositories: Layer.Layer<Repositories, unknown>) =>
  layer(TestServer(repositories).pipe(Layer.provide(Layer.succeed(CursorSecret, cursorKey(Redacted.make(secret))))), {
    excludeTestServices: true,
    timeout: "60 seconds"
  })(`Forged cursors: ${name}`, (it) => {
    /** Every list, with the sort fields it takes: collections and relation lists, in both versions. */
    const lists = Effect.gen(function*() {
      // Two of each, so every collection list has a next page whatever ran before.
      const habitat = yield* post("/v2/habitats", { name: `Cursor Hall ${unique()}`, climate: "arid", capacity: 50 })
      yield* post("/v2/habitats", { name: `Cursor Yard ${unique()}`, climate: "polar", capacity: 5 })
      const keeper = yield* post("/v2/zookeepers", { name: "Sam Keeper", email: `sam.${unique()}@zoo.example`, hired_on: "2020-02-02" })
      yield* post("/v2/zookeepers", { name: "Kim Keeper", email: `kim.${unique()}@zoo.example`, hired_on: "2021-03-03" })
      for (let i = 0; i < 3; i++) {
        const animal = yield* post("/v2/animals", {
          name: `Cursor Beast ${i}`,
          date_of_birth: "2015-05-05",
          species: "lion",
          habitat_id: habitat.id
        })
        const assigned = yield* request(`/v2/zookeepers/${keeper.id}/animals/${animal.id}`, { method: "PUT" })
        assert.strictEqual(assigned.status, 204)
      }
      const animalSorts = ["name", "date_of_birth", "created_at"]
      return [1, 2].flatMap((version) => [
        [`/v${version}/animals`, animalSorts],
        [`/v${version}/habitats`, ["name", "capacity", "created_at"]],
        [`/v${version}/zookeepers`, ["name", "hired_on", "created_at"]],
        [`/v${version}/habitats/${habitat.id}/animals`, animalSorts],
        [`/v${version}/zookeepers/${keeper.id}/animals`, animalSorts]
      ] as const)
    })

    it.effect("an unsigned cursor with a position the database cannot read: 400, never 500", () =>
      Effect.gen(function*() {
        for (const [path, sorts] of yield* lists) {
          for (const field of sorts) {
            for (const sort of [field, `-${field}`]) {
              for (const value of badPositions[field]!) {
                const cursor = unsigned({ sort, filters: {}, after: { value, id } })
                assertCursorRefused(yield* request(`${path}?sort=${sort}&cursor=${cursor}`), `${path} ${sort} ${JSON.stringify(value)}`)
              }
            }
          }
        }
      }))

    it.effect("a cursor signed with the server's own secret but holding a position its field cannot have: 400", () =>
      Effect.gen(function*() {
        for (const [path, sorts] of yield* lists) {
          for (const field of sorts) {
            for (const value of badPositions[field]!) {
              const cursor = signed({ sort: field, filters: {}, after: { value, id } })
              assertCursorRefused(yield* request(`${path}?sort=${field}&cursor=${cursor}`), `${path} ${field} ${JSON.stringify(value)}`)
            }
          }
        }
      }))

    it.effect("a cursor from a next link resumes; the same cursor edited, re-signed with another key, or cut short: 400", () =>
      Effect.gen(function*() {
        for (const [path, sorts] of yield* lists) {
          for (const sort of sorts) {
            const first = yield* request(`${path}?sort=${sort}&limit=1`)
            assert.strictEqual(first.status, 200, first.text)
            const next = /<[^>]*[?&]cursor=([^&>]+)[^>]*>; rel="next"/.exec(first.headers.get("link") ?? "")
            assert.isNotNull(next, `${path} ${sort} has a next link`)
            const cursor = next[1]!
            const resumed = yield* request(`${path}?sort=${sort}&limit=1&cursor=${cursor}`)
            assert.strictEqual(resumed.status, 200, `${path} ${sort}: ${resumed.text}`)
            assert.notStrictEqual(resumed.json().items?.[0]?.id ?? resumed.json()[0]?.id, first.json().items?.[0]?.id ?? first.json()[0]?.id)

            const [body, signature] = cursor.split(".")
            const payload = JSON.parse(Buffer.from(body!, "base64url").toString("utf8"))
            // A valid position of the field, so only the signature can tell.
            const edited = { ...payload, after: { ...payload.after, id: "00000000-0000-4000-8000-000000000000" } }
            for (
              const [what, forged] of [
                ["edited, old signature", `${base64url(JSON.stringify(edited))}.${signature}`],
                ["edited, signed with another key", signed(edited, "not-the-server-secret-0123456789abcdef")],
                ["no signature", body!],
                ["signature cut short", `${body}.${signature!.slice(0, 20)}`],
                ["two signatures", `${cursor}.${signature}`]
              ]
            ) {
              assertCursorRefused(yield* request(`${path}?sort=${sort}&limit=1&cursor=${forged}`), `${path} ${sort}: ${what}`)
            }
          }
        }
      }))
  })

cursorSuite("memory", MemoryRepositories)
cursorSuite("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))
describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  cursorSuite("PostgreSQL", SqlRepositories.pipe(Layer.provide(postgresLayer("domain_cursors"))))
})

describe("replicas behind one load balancer", () => {
  // Two servers (two replicas) over one database, with the same secret: each resumes the other's cursors.
  const shared = MemoryRepositories
  const replica = (key: string) => TestServer(shared).pipe(Layer.provide(Layer.succeed(CursorSecret, cursorKey(Redacted.make(key)))))
  layer(replica(secret), { excludeTestServices: true })("replica with the shared secret", (it) => {
    it.effect("a cursor signed by another replica with the same secret resumes; one signed with a different secret is a 400", () =>
      Effect.gen(function*() {
        for (let i = 0; i < 2; i++) yield* post("/v2/habitats", { name: `Replica Hall ${unique()}`, climate: "polar", capacity: 5 })
        const first = yield* request("/v2/habitats?sort=capacity&limit=1")
        const row = first.json().items[0]
        // What another replica with the same secret would have issued.
        const fromPeer = signed({ sort: "capacity", filters: {}, after: { value: row.capacity, id: row.id } })
        const resumed = yield* request(`/v2/habitats?sort=capacity&limit=1&cursor=${fromPeer}`)
        assert.strictEqual(resumed.status, 200, resumed.text)
        assert.notStrictEqual(resumed.json().items[0].id, row.id)
        const fromStranger = signed({ sort: "capacity", filters: {}, after: { value: row.capacity, id: row.id } }, "another-deployment-secret-0123456789")
        assertCursorRefused(yield* request(`/v2/habitats?sort=capacity&limit=1&cursor=${fromStranger}`), "a stranger's cursor")
      }))
  })
})
