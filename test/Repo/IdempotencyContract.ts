/**
 * The `Idempotency-Key` contract over HTTP, for any storage: the whole app on
 * a real socket, with the repositories (and so the idempotency store) of one
 * backend. `test/Idempotency.test.ts` runs it on memory, PGlite and
 * PostgreSQL.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import type { WriteAccess } from "../../src/Auth/WriteAccess.ts"
import * as WriteAccessLive from "../../src/Auth/WriteAccessLive.ts"
import type { Repositories } from "../../src/Repositories.ts"
import { rawRequest, TestServer, testApiKey } from "../support/TestServer.ts"

/** A second client, with a key of its own. */
export const otherApiKey = "zoo-other-key-9876543210"

/** The test server's access control: the test key and the other client's key. */
export const TwoClients: Layer.Layer<WriteAccess, never, any> = WriteAccessLive.layer({
  apiKeys: [Redacted.make(testApiKey), Redacted.make(otherApiKey)],
  tokens: Option.none()
}).pipe(Layer.orDie)

export const newKey = () => `key-${globalThis.crypto.randomUUID()}`

/** A unique name prefix per test, so each test counts only its own rows. */
const newName = () => `Idem ${globalThis.crypto.randomUUID().slice(0, 8)}`

/** A write as a client sends it: JSON body, an API key, and the idempotency key when given. */
export const write = (
  method: string,
  path: string,
  options: { readonly key?: string | undefined; readonly body?: unknown; readonly apiKey?: string; readonly contentType?: string } = {}
) =>
  rawRequest(path, {
    method,
    headers: {
      "x-api-key": options.apiKey ?? testApiKey,
      ...(options.body !== undefined && { "content-type": options.contentType ?? "application/json" }),
      ...(options.key !== undefined && { "idempotency-key": options.key })
    },
    ...(options.body !== undefined && { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) })
  })

export const lion = (name: string) => ({ name, date_of_birth: "2020-01-01", species: "lion" })

/** How many animals have names starting with `name`. */
export const countNamed = (name: string) =>
  Effect.map(rawRequest(`/v2/animals?name=${encodeURIComponent(name)}`), (response) => Number(response.headers.get("x-total-count")))

export const idempotencyContract = <E>(backend: string, repositories: Layer.Layer<Repositories, E>) =>
  layer(TestServer(repositories, {}, TwoClients), { excludeTestServices: true })(`Idempotency-Key: ${backend}`, (it) => {
    describe("POST", () => {
      it.effect("a retry replays the first outcome byte for byte, and creates nothing more", () =>
        Effect.gen(function*() {
          const name = newName()
          const key = newKey()
          const first = yield* write("POST", "/v2/animals", { key, body: lion(name) })
          assert.strictEqual(first.status, 201, first.text)
          assert.isNull(first.headers.get("idempotent-replayed"))
          for (let retry = 0; retry < 2; retry++) {
            const again = yield* write("POST", "/v2/animals", { key, body: lion(name) })
            assert.strictEqual(again.status, 201, again.text)
            assert.strictEqual(again.text, first.text)
            assert.strictEqual(again.headers.get("idempotent-replayed"), "true")
            for (const header of ["location", "etag", "last-modified", "content-type"]) {
              assert.strictEqual(again.headers.get(header), first.headers.get(header), header)
            }
            assert.notStrictEqual(again.headers.get("x-request-id"), first.headers.get("x-request-id"))
          }
          assert.strictEqual(yield* countNamed(name), 1)
        }))

      it.effect("the same key with another body or another path is a 422, and runs nothing", () =>
        Effect.gen(function*() {
          const name = newName()
          const key = newKey()
          assert.strictEqual((yield* write("POST", "/v2/animals", { key, body: lion(name) })).status, 201)
          const otherBody = yield* write("POST", "/v2/animals", { key, body: lion(`${name} II`) })
          assert.strictEqual(otherBody.status, 422, otherBody.text)
          assert.strictEqual(otherBody.headers.get("content-type"), "application/problem+json")
          assert.strictEqual(otherBody.json().type, "/problems/idempotency-key-reused")
          const otherPath = yield* write("POST", "/v1/animals", { key, body: lion(name) })
          assert.strictEqual(otherPath.status, 422, otherPath.text)
          assert.strictEqual(otherPath.json().type, "/problems/idempotency-key-reused")
          assert.strictEqual(yield* countNamed(name), 1)
        }))

      it.effect("keys belong to a credential: another client's same key runs its own request", () =>
        Effect.gen(function*() {
          const name = newName()
          const key = newKey()
          const mine = yield* write("POST", "/v2/animals", { key, body: lion(name) })
          const theirs = yield* write("POST", "/v2/animals", { key, body: lion(name), apiKey: otherApiKey })
          assert.strictEqual(mine.status, 201)
          assert.strictEqual(theirs.status, 201, theirs.text)
          assert.isNull(theirs.headers.get("idempotent-replayed"))
          assert.notStrictEqual(theirs.json().id, mine.json().id)
          assert.strictEqual(yield* countNamed(name), 2)
        }))

      it.effect("20 concurrent requests with one key: one runs, the others get 409 in flight or the replay", () =>
        Effect.gen(function*() {
          const name = newName()
          const key = newKey()
          const responses = yield* Effect.all(
            Array.from({ length: 20 }, () => write("POST", "/v2/animals", { key, body: lion(name) })),
            { concurrency: "unbounded" }
          )
          const ran = responses.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") === null)
          assert.strictEqual(ran.length, 1, responses.map((r) => r.status).join(","))
          for (const response of responses) {
            if (response.status === 201) {
              assert.strictEqual(response.text, ran[0]!.text)
            } else {
              assert.strictEqual(response.status, 409, response.text)
              assert.strictEqual(response.json().type, "/problems/idempotency-key-in-flight")
              assert.strictEqual(response.headers.get("retry-after"), "1")
            }
          }
          assert.strictEqual(yield* countNamed(name), 1)
          // Once done, every retry gets the replay.
          const later = yield* write("POST", "/v2/animals", { key, body: lion(name) })
          assert.strictEqual(later.text, ran[0]!.text)
        }))

      it.effect("a refusal that follows from the data (409: the id is taken) is kept and replayed", () =>
        Effect.gen(function*() {
          const name = newName()
          const id = globalThis.crypto.randomUUID()
          assert.strictEqual((yield* write("POST", "/v2/animals", { body: { ...lion(name), id } })).status, 201)
          const key = newKey()
          const refused = yield* write("POST", "/v2/animals", { key, body: { ...lion(name), id } })
          assert.strictEqual(refused.status, 409, refused.text)
          assert.strictEqual(refused.json().type, "/problems/animal-already-exists")
          // The animal goes away; the retry still answers what the first request got.
          assert.strictEqual((yield* write("DELETE", `/v2/animals/${id}`)).status, 204)
          const again = yield* write("POST", "/v2/animals", { key, body: { ...lion(name), id } })
          assert.strictEqual(again.status, 409, again.text)
          assert.strictEqual(again.headers.get("idempotent-replayed"), "true")
          assert.deepStrictEqual({ ...again.json(), request_id: null }, { ...refused.json(), request_id: null })
          assert.strictEqual(yield* countNamed(name), 0)
        }))

      it.effect("a malformed request (400) is not kept: the corrected retry runs", () =>
        Effect.gen(function*() {
          const name = newName()
          const key = newKey()
          const bad = yield* write("POST", "/v2/animals", { key, body: { ...lion(name), species: "dragon" } })
          assert.strictEqual(bad.status, 400, bad.text)
          const good = yield* write("POST", "/v2/animals", { key, body: lion(name) })
          assert.strictEqual(good.status, 201, good.text)
          assert.isNull(good.headers.get("idempotent-replayed"))
          assert.strictEqual(yield* countNamed(name), 1)
        }))

      it.effect("a malformed key is a 400 naming the header, and nothing runs", () =>
        Effect.gen(function*() {
          const name = newName()
          for (const key of ["has space", "x".repeat(256), "tab\tkey", "ünïcode"]) {
            const response = yield* write("POST", "/v2/animals", { key, body: lion(name) }).pipe(
              // fetch itself refuses some header values; those never reach a server.
              Effect.catchDefect(() => Effect.succeed(undefined))
            )
            if (response === undefined) continue
            assert.strictEqual(response.status, 400, `${key}: ${response.text}`)
            assert.deepInclude(response.json().errors.map((error: { path: unknown }) => error.path), ["headers", "idempotency-key"])
          }
          assert.strictEqual(yield* countNamed(name), 0)
        }))
    })

    describe("PATCH and the relation PUT/DELETE", () => {
      it.effect("a PATCH retry replays its 200 even after the animal changed again", () =>
        Effect.gen(function*() {
          const name = newName()
          const created = yield* write("POST", "/v2/animals", { body: lion(name) })
          const path = `/v2/animals/${created.json().id}`
          const key = newKey()
          const patch = { body: { nickname: "Leo" }, contentType: "application/merge-patch+json", key }
          const first = yield* write("PATCH", path, patch)
          assert.strictEqual(first.status, 200, first.text)
          assert.strictEqual(first.json().version, 2)
          assert.strictEqual((yield* write("PATCH", path, { body: { nickname: "Other" }, contentType: "application/merge-patch+json" })).status, 200)
          const again = yield* write("PATCH", path, patch)
          assert.strictEqual(again.status, 200)
          assert.strictEqual(again.text, first.text)
          assert.strictEqual(again.headers.get("etag"), "\"2\"")
          assert.strictEqual(again.headers.get("idempotent-replayed"), "true")
          assert.strictEqual((yield* rawRequest(path)).json().version, 3)
        }))

      it.effect("a PATCH that met a 404 keeps it, even once the animal exists", () =>
        Effect.gen(function*() {
          const id = globalThis.crypto.randomUUID()
          const key = newKey()
          const patch = { body: { nickname: "Leo" }, contentType: "application/merge-patch+json", key }
          const missing = yield* write("PATCH", `/v2/animals/${id}`, patch)
          assert.strictEqual(missing.status, 404, missing.text)
          assert.strictEqual((yield* write("POST", "/v2/animals", { body: { ...lion(newName()), id } })).status, 201)
          const again = yield* write("PATCH", `/v2/animals/${id}`, patch)
          assert.strictEqual(again.status, 404, again.text)
          assert.strictEqual(again.headers.get("idempotent-replayed"), "true")
          assert.strictEqual(again.json().type, "/problems/animal-not-found")
          assert.strictEqual((yield* rawRequest(`/v2/animals/${id}`)).json().version, 1)
        }))

      it.effect("assign and unassign with a key replay their 204", () =>
        Effect.gen(function*() {
          const keeper = yield* write("POST", "/v2/zookeepers", {
            body: { name: "Keeper Kim", email: `${newKey()}@zoo.example`, hired_on: "2020-01-01" }
          })
          assert.strictEqual(keeper.status, 201, keeper.text)
          const animal = yield* write("POST", "/v2/animals", { body: lion(newName()) })
          const link = `/v2/zookeepers/${keeper.json().id}/animals/${animal.json().id}`
          for (const method of ["PUT", "DELETE"]) {
            const key = newKey()
            const first = yield* write(method, link, { key })
            assert.strictEqual(first.status, 204, first.text)
            const again = yield* write(method, link, { key })
            assert.strictEqual(again.status, 204)
            assert.strictEqual(again.text, "")
            assert.strictEqual(again.headers.get("idempotent-replayed"), "true")
          }
        }))
    })
  })
