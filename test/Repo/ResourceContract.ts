/**
 * What every `ResourceRepository` must do, whatever stores the rows and
 * whichever collection it holds. Each backend's test file runs this suite for
 * every collection in `test/support/Collections.ts`, on a database of its own.
 *
 * Tests share the database of their file; each works inside a scope of its
 * own (a tag in its rows and the filter that selects them), so counts, orders
 * and pages are exact.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { ListRequest, Page, Stored } from "../../src/Repo/Repository.ts"
import {
  type Collection,
  compareValues,
  matchesAll,
  newTag,
  type RepositoryLike,
  repositorySeeder,
  seedForFilters,
  sortRows
} from "../support/Collections.ts"

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const newId = () => globalThis.crypto.randomUUID()

const fail = <A>(effect: Effect.Effect<A, unknown>) => Effect.flip(effect) as Effect.Effect<any>

/**
 * Waits (bounded, no sleep) until the wall clock has passed `timestamp`, so
 * the next write's millisecond timestamp is strictly later.
 */
const clockPast = (timestamp: string | undefined) =>
  Effect.sync(() => {
    if (timestamp === undefined) return
    const target = Date.parse(timestamp)
    const deadline = Date.now() + 2_000
    while (Date.now() <= target) {
      if (Date.now() > deadline) throw new Error(`the clock never passed ${timestamp}`)
    }
  })

const request = (
  filters: Readonly<Record<string, unknown>>,
  options: Partial<Omit<ListRequest, "filters">> = {}
): ListRequest => ({
  limit: 100,
  sort: { field: "created_at", descending: false },
  after: undefined,
  ...options,
  filters
})

/** Every row matching `filters`, following `after` with pages of `limit`. */
const walk = <R extends Stored>(
  repository: RepositoryLike<R, unknown, unknown>,
  filters: Readonly<Record<string, unknown>>,
  sort: ListRequest["sort"],
  limit: number,
  between: (pageNumber: number) => Effect.Effect<void, unknown> = () => Effect.void
) =>
  Effect.gen(function*() {
    const rows: Array<R> = []
    const sizes: Array<number> = []
    let after: ListRequest["after"]
    for (let pageNumber = 0; pageNumber < 100; pageNumber++) {
      const page: Page<R> = yield* repository.list(request(filters, { limit, sort, after }))
      assert.isAtMost(page.items.length, limit)
      rows.push(...page.items)
      sizes.push(page.items.length)
      if (!page.hasMore) return { rows, sizes }
      assert.strictEqual(page.items.length, limit, "a page with more after it is full")
      const last = page.items.at(-1)!
      after = { value: String((last as any)[sort.field]), id: last.id }
      yield* between(pageNumber)
    }
    throw new Error("more than 100 pages")
  })

const ids = (rows: ReadonlyArray<Stored>) => rows.map((row) => row.id)

const assertNoDuplicates = (rows: ReadonlyArray<Stored>) =>
  assert.strictEqual(new Set(ids(rows)).size, rows.length, "no row is repeated")

export const resourceRepositoryContract = (
  collection: Collection,
  backend: string,
  makeLayer: () => Layer.Layer<any, unknown>
) =>
  layer(makeLayer(), { excludeTestServices: true, timeout: "60 seconds" })(
    `${collection.name} repository contract: ${backend}`,
    (it) => {
      const { make, scope } = collection
      const optional = collection.optional
      const repo = collection.Repository
      /** Creates `count` rows of a fresh scope, one after the other. */
      const seed = (count: number, tag = newTag()) =>
        Effect.gen(function*() {
          const repository = yield* repo
          const rows: Array<Stored & Record<string, unknown>> = []
          for (let i = 0; i < count; i++) rows.push(yield* repository.create(make(i, tag)))
          return { tag, rows }
        })
      const notFound = (error: unknown, id: string) => assert.deepInclude(error as object, { _tag: collection.notFoundTag, id })
      const preconditionFailed = (error: unknown, version: number) =>
        assert.deepInclude(error as object, { _tag: "PreconditionFailed", etag: `"${version}"` })

      describe("create and read", () => {
        it.effect("create generates a UUID, sets version 1 and equal RFC 3339 timestamps", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const body = make(0, newTag())
            const created = yield* repository.create(body)
            assert.match(created.id, uuid)
            assert.deepInclude(created, { ...body, version: 1 })
            if (optional !== undefined) assert.property(created, optional)
            assert.match(created.created_at, rfc3339)
            assert.strictEqual(created.created_at, created.updated_at)
            assert.deepStrictEqual(yield* repository.findById(created.id), created)
          }))

        it.effect("create keeps a client id; the same id again is the collection's already-exists and changes nothing", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const id = newId()
            const created = yield* repository.create({ ...make(0, tag), id })
            assert.strictEqual(created.id, id)
            const error = yield* fail(repository.create({ ...make(1, tag), id }))
            assert.deepInclude(error, { _tag: collection.idTakenTag, id })
            assert.deepStrictEqual(yield* repository.findById(id), created)
            assert.strictEqual((yield* repository.list(request(scope(tag)))).total, 1)
          }))

        it.effect("20 concurrent creates of one id: exactly one succeeds, the others are already-exists", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const id = newId()
            const results = yield* Effect.forEach(
              Array.from({ length: 20 }, (_, i) => i),
              (i) => Effect.result(repository.create({ ...make(i, tag), id })),
              { concurrency: "unbounded" }
            )
            const failures = results.flatMap((result) => (result._tag === "Failure" ? [result.failure] : []))
            assert.strictEqual(results.length - failures.length, 1)
            for (const error of failures) assert.deepInclude(error as object, { _tag: collection.idTakenTag, id })
            assert.strictEqual((yield* repository.list(request(scope(tag)))).total, 1)
          }))

        it.effect("an unknown id is not found by findById, replace, patch and remove, with or without an expected version", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const id = newId()
            const tag = newTag()
            notFound(yield* fail(repository.findById(id)), id)
            notFound(yield* fail(repository.replace(id, make(0, tag))), id)
            notFound(yield* fail(repository.replace(id, make(0, tag), [1])), id)
            notFound(yield* fail(repository.patch(id, collection.patch)), id)
            notFound(yield* fail(repository.patch(id, collection.patch, [1])), id)
            notFound(yield* fail(repository.patch(id, {})), id)
            notFound(yield* fail(repository.remove(id)), id)
            notFound(yield* fail(repository.remove(id, [1])), id)
            assert.strictEqual((yield* repository.list(request(scope(tag)))).total, 0, "nothing was created")
          }))
      })

      describe("writes", () => {
        it.effect("replace sets every field, removes optional ones left out, bumps the version, keeps created_at", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const created = yield* repository.create(make(0, tag))
            yield* clockPast(created.updated_at)
            const body = collection.replacement(tag)
            const replaced = yield* repository.replace(created.id, body)
            assert.deepStrictEqual(replaced, {
              ...body,
              id: created.id,
              created_at: created.created_at,
              updated_at: replaced.updated_at,
              version: 2
            })
            if (optional !== undefined) assert.notProperty(replaced, optional)
            assert.isAbove(Date.parse(replaced.updated_at), Date.parse(created.updated_at))
            assert.deepStrictEqual(yield* repository.findById(created.id), replaced)
          }))

        it.effect("patch: absent keeps, a value replaces, null removes an optional field; each bumps the version", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const created = yield* repository.create(make(0, newTag()))
            const patched = yield* repository.patch(created.id, collection.patch)
            assert.deepStrictEqual(patched, {
              ...created,
              ...collection.patch,
              updated_at: patched.updated_at,
              version: 2
            })
            if (optional === undefined) return
            const cleared = yield* repository.patch(created.id, { [optional]: null })
            const { [optional]: _removed, ...rest } = patched as Record<string, unknown>
            assert.deepStrictEqual(cleared, { ...rest, updated_at: cleared.updated_at, version: 3 })
            assert.deepStrictEqual(yield* repository.findById(created.id), cleared)
          }))

        it.effect("an empty patch returns the current row unchanged", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const created = yield* repository.create(make(0, newTag()))
            assert.deepStrictEqual(yield* repository.patch(created.id, {}), created)
            assert.deepStrictEqual(yield* repository.patch(created.id, {}, [1]), created)
            assert.deepStrictEqual(yield* repository.findById(created.id), created)
          }))

        it.effect("remove deletes: the row is not found, not listed, and a second remove is not found", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const { rows: [created, kept], tag } = yield* seed(2)
            yield* repository.remove(created!.id)
            notFound(yield* fail(repository.findById(created!.id)), created!.id)
            assert.deepStrictEqual(ids((yield* repository.list(request(scope(tag)))).items), [kept!.id])
            notFound(yield* fail(repository.remove(created!.id)), created!.id)
          }))
      })

      if (collection.unique !== undefined) {
        const { field, same, takenTag } = collection.unique
        const taken = (error: unknown, value: string) => assert.deepInclude(error as object, { _tag: takenTag, field, value })

        describe(`the unique ${field}`, () => {
          it.effect(`create, replace and patch refuse a ${field} another row holds (also spelled ${same("Ab")}), and change nothing`, () =>
            Effect.gen(function*() {
              const repository = yield* repo
              const { rows: [first, second], tag } = yield* seed(2)
              const value = first![field] as string
              for (const spelling of [value, same(value)]) {
                taken(yield* fail(repository.create({ ...make(2, tag), [field]: spelling })), spelling)
                taken(yield* fail(repository.replace(second!.id, { ...make(1, tag), [field]: spelling })), spelling)
                taken(yield* fail(repository.patch(second!.id, { [field]: spelling })), spelling)
              }
              assert.deepStrictEqual(yield* repository.findById(second!.id), second)
              assert.strictEqual((yield* repository.list(request(scope(tag)))).total, 2)
              // A row may keep its own value; writing it again changes nothing, the version included.
              const kept = yield* repository.patch(first!.id, { [field]: value })
              assert.deepStrictEqual(kept, first)
              // Freed by a delete, the value can be taken again.
              yield* repository.remove(first!.id)
              assert.strictEqual((yield* repository.patch(second!.id, { [field]: value }))[field], value)
            }))

          it.effect(`20 concurrent creates of one ${field}: exactly one succeeds`, () =>
            Effect.gen(function*() {
              const repository = yield* repo
              const tag = newTag()
              const value = make(0, tag)[field] as string
              const results = yield* Effect.forEach(
                Array.from({ length: 20 }, (_, i) => i),
                (i) => Effect.result(repository.create({ ...make(i, tag), [field]: i % 2 === 0 ? value : same(value) })),
                { concurrency: "unbounded" }
              )
              assert.strictEqual(results.filter((result) => result._tag === "Success").length, 1)
              for (const result of results) {
                if (result._tag === "Failure") assert.deepInclude(result.failure as object, { _tag: takenTag, field })
              }
              assert.strictEqual((yield* repository.list(request(scope(tag)))).total, 1)
            }))
        })
      }

      describe("preconditions (If-Match)", () => {
        it.effect("a stale expected version fails replace, patch, empty patch and remove with the current ETag, and changes nothing", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const created = yield* repository.create(make(0, tag))
            const current = yield* repository.patch(created.id, collection.patch)
            const lastModified = (yield* repository.list(request(scope(tag)))).lastModified
            yield* clockPast(lastModified)
            for (const stale of [[1], [3], [], [0, 1, 7]]) {
              preconditionFailed(yield* fail(repository.replace(created.id, collection.replacement(tag), stale)), 2)
              preconditionFailed(yield* fail(repository.patch(created.id, collection.patch, stale)), 2)
              preconditionFailed(yield* fail(repository.patch(created.id, {}, stale)), 2)
              preconditionFailed(yield* fail(repository.remove(created.id, stale)), 2)
            }
            assert.deepStrictEqual(yield* repository.findById(created.id), current)
            assert.strictEqual((yield* repository.list(request(scope(tag)))).lastModified, lastModified, "a refused write is no change")
          }))

        it.effect("the current version lets replace, patch and remove through", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const created = yield* repository.create(make(0, newTag()))
            const replaced = yield* repository.replace(created.id, make(1, newTag()), [1])
            assert.strictEqual(replaced.version, 2)
            const patched = yield* repository.patch(created.id, collection.patch, [7, 2])
            assert.strictEqual(patched.version, 3)
            yield* repository.remove(created.id, [3])
            notFound(yield* fail(repository.findById(created.id)), created.id)
          }))

        it.effect("20 concurrent replaces expecting one version: exactly 1 succeeds, 19 are PreconditionFailed", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const created = yield* repository.create(make(0, tag))
            const results = yield* Effect.forEach(
              Array.from({ length: 20 }, (_, i) => i),
              (i) => Effect.result(repository.replace(created.id, make(i + 1, tag), [1])),
              { concurrency: "unbounded" }
            )
            const winners = results.flatMap((result) => (result._tag === "Success" ? [result.success] : []))
            const losers = results.flatMap((result) => (result._tag === "Failure" ? [result.failure] : []))
            assert.strictEqual(winners.length, 1)
            assert.strictEqual(losers.length, 19)
            for (const error of losers) preconditionFailed(error, 2)
            assert.strictEqual(winners[0]!.version, 2)
            assert.deepStrictEqual(yield* repository.findById(created.id), winners[0])
          }))

        it.effect("20 concurrent patches expecting one version: exactly 1 succeeds", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const created = yield* repository.create(make(0, newTag()))
            const results = yield* Effect.forEach(
              Array.from({ length: 20 }, () => Effect.result(repository.patch(created.id, collection.patch, [1]))),
              (effect) => effect,
              { concurrency: "unbounded" }
            )
            assert.strictEqual(results.filter((result) => result._tag === "Success").length, 1)
            for (const result of results) if (result._tag === "Failure") preconditionFailed(result.failure, 2)
            assert.strictEqual((yield* repository.findById(created.id)).version, 2)
          }))

        it.effect("20 concurrent removes expecting one version: exactly 1 succeeds, the others find it gone or changed", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const created = yield* repository.create(make(0, newTag()))
            const results = yield* Effect.forEach(
              Array.from({ length: 20 }, () => Effect.result(repository.remove(created.id, [1]))),
              (effect) => effect,
              { concurrency: "unbounded" }
            )
            assert.strictEqual(results.filter((result) => result._tag === "Success").length, 1)
            for (const result of results) {
              if (result._tag === "Failure") notFound(result.failure, created.id)
            }
          }))
      })

      describe("list", () => {
        it.effect("limit, hasMore and total (over all pages, with the filters)", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const { rows: created, tag } = yield* seed(5)
            // Rows made in the same millisecond tie on created_at: the id decides.
            const rows = sortRows(created, "created_at", false)
            const page = (limit: number) => repository.list(request(scope(tag), { limit }))
            const two = yield* page(2)
            assert.deepStrictEqual(ids(two.items), ids(rows.slice(0, 2)))
            assert.deepInclude(two, { total: 5, hasMore: true })
            assert.deepInclude(yield* page(4), { total: 5, hasMore: true })
            const five = yield* page(5)
            assert.deepStrictEqual(ids(five.items), ids(rows))
            assert.deepInclude(five, { total: 5, hasMore: false })
            assert.deepInclude(yield* page(6), { total: 5, hasMore: false })
            const empty = yield* repository.list(request(scope(newTag())))
            assert.deepInclude(empty, { items: [], total: 0, hasMore: false })
          }))

        it.effect("every sort field, ascending and descending, breaks ties by id; keyset pages continue exactly", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            // Concurrent creates also give equal created_at values, often.
            const rows = yield* Effect.forEach(
              Array.from({ length: 12 }, (_, i) => make(i, tag)),
              (body) => repository.create(body),
              { concurrency: 4 }
            )
            const fields = collection.capabilities.sort.filter((sort) => !sort.startsWith("-"))
            const tied = fields.filter((field) => new Set(rows.map((row: any) => row[field])).size < rows.length)
            assert.isNotEmpty(tied.filter((field) => field !== "created_at"), "the fixture makes equal sort values")
            for (const field of fields) {
              for (const descending of [false, true]) {
                const sort = { field, descending }
                const expected = ids(sortRows(rows, field, descending))
                const all = yield* repository.list(request(scope(tag), { sort }))
                assert.deepStrictEqual(ids(all.items), expected, `${descending ? "-" : ""}${field}`)
                for (const limit of [1, 5]) {
                  const { rows: walked } = yield* walk(repository, scope(tag), sort, limit)
                  assert.deepStrictEqual(ids(walked), expected, `${descending ? "-" : ""}${field} by ${limit}`)
                }
              }
            }
          }))

        it.effect("each filter case selects exactly the matching rows, and total counts them", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const { refs, rows } = yield* seedForFilters(collection, 20, tag, repositorySeeder)
            const cases = collection.filterCases(tag, refs)
            const used = new Set(cases.flatMap((values) => Object.keys(values)))
            assert.sameMembers([...used], Object.keys(collection.filters), "the cases use every declared filter")
            for (const values of cases) {
              const expected = rows.filter(matchesAll(collection, values, refs))
              assert.isNotEmpty(expected, JSON.stringify(values))
              const page = yield* repository.list(request(values))
              assert.sameMembers(ids(page.items), ids(expected), JSON.stringify(values))
              assert.strictEqual(page.total, expected.length, JSON.stringify(values))
              const limited = yield* repository.list(request(values, { limit: 1 }))
              assert.strictEqual(limited.total, expected.length)
              assert.strictEqual(limited.hasMore, expected.length > 1)
            }
            // Some case must drop rows too, or the filters proved nothing.
            assert.isTrue(cases.some((values) => rows.some((row) => !matchesAll(collection, values, refs)(row))))
          }))

        // Only collections with a bound filter (animals: born_after, born_before) have this case.
        const bounds = Object.entries(collection.filters).filter(([, filter]) => filter.kind === "after" || filter.kind === "before")
        if (bounds.length > 0) {
          it.effect(`exclusive bounds (${bounds.map(([name]) => name).join(", ")}) leave out rows equal to the bound`, () =>
            Effect.gen(function*() {
              const repository = yield* repo
              const { rows, tag } = yield* seed(8)
              for (const [name, filter] of bounds) {
                const bound = (rows[1] as any)[filter.column]
                const page = yield* repository.list(request({ ...scope(tag), [name]: bound }))
                const expected = rows.filter((row: any) =>
                  filter.kind === "after" ? compareValues(row[filter.column], bound) > 0 : compareValues(row[filter.column], bound) < 0
                )
                // The fixture has rows on the bound, beyond it and short of it: the case can fail.
                assert.isNotEmpty(expected, `${name}=${bound} keeps rows`)
                assert.isAbove(rows.filter((row: any) => row[filter.column] === bound).length, 1, `${name}=${bound}: rows on the bound`)
                assert.sameMembers(ids(page.items), ids(expected), `${name}=${bound}`)
                assert.isFalse(page.items.some((row: any) => row[filter.column] === bound), `${name} is exclusive`)
              }
            }))
        }

        it.effect("lastModified moves on create, replace, patch and delete", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const tag = newTag()
            const lastModified = Effect.map(repository.list(request(scope(tag), { limit: 1 })), (page) => page.lastModified)
            const before = yield* lastModified
            const steps: Array<readonly [string, Effect.Effect<unknown, unknown>]> = []
            let id = ""
            steps.push(["create", Effect.map(repository.create(make(0, tag)), (row) => (id = row.id))])
            steps.push(["replace", Effect.suspend(() => repository.replace(id, collection.replacement(tag)))])
            steps.push(["patch", Effect.suspend(() => repository.patch(id, collection.patch))])
            steps.push(["remove", Effect.suspend(() => repository.remove(id))])
            let previous = before
            for (const [step, write] of steps) {
              yield* clockPast(previous)
              const start = Date.now()
              yield* write
              const next = yield* lastModified
              assert.isDefined(next, step)
              assert.match(next, rfc3339)
              if (previous !== undefined) assert.isAbove(Date.parse(next), Date.parse(previous), step)
              // Within this process's clock: the write happened between `start` and now.
              assert.isAtLeast(Date.parse(next), start - 1_000, step)
              assert.isAtMost(Date.parse(next), Date.now() + 1_000, step)
              previous = next
            }
          }))

        it.effect("25 rows paged by 10: 10, 10, 5, complete, no duplicates", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            const { rows, tag } = yield* seed(25)
            const { rows: walked, sizes } = yield* walk(repository, scope(tag), { field: "created_at", descending: false }, 10)
            assert.deepStrictEqual(sizes, [10, 10, 5])
            assert.sameMembers(ids(walked), ids(rows))
            assertNoDuplicates(walked)
          }))

        it.effect("pages stay complete and duplicate-free when rows are inserted between them, for every sort", () =>
          Effect.gen(function*() {
            const repository = yield* repo
            for (const sort of collection.capabilities.sort) {
              const tag = newTag()
              const rows = yield* Effect.forEach(Array.from({ length: 25 }, (_, i) => make(i, tag)), repository.create)
              let made = 25
              const inserted: Array<Stored> = []
              const field = sort.replace(/^-/, "")
              const { rows: walked } = yield* walk(repository, scope(tag), { field, descending: sort.startsWith("-") }, 10, () =>
                Effect.map(
                  Effect.forEach([made++, made++, made++], (i) => repository.create(make(i, tag))),
                  (created) => void inserted.push(...created)
                ))
              assertNoDuplicates(walked)
              const seen = new Set(ids(walked))
              for (const row of rows) assert.isTrue(seen.has(row.id), `${sort}: ${row.id} was skipped`)
              for (const id of seen) assert.isTrue(rows.some((row) => row.id === id) || inserted.some((row) => row.id === id))
              assert.deepStrictEqual(ids(walked), ids(sortRows(walked, field, sort.startsWith("-"))), `${sort}: in order`)
            }
          }))
      })
    }
  )
