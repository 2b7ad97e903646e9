/**
 * One in-memory implementation of `ResourceRepository` for every collection:
 * a `Map` per collection, the same ordering, paging, preconditions and
 * conflicts as the SQL layer (the contract tests hold both to it). For unit
 * tests, and for trying the API without a database.
 */
import { Clock, Effect } from "effect"
import { PreconditionFailed } from "../Errors.ts"
import type { Filters } from "../Shared/Listing.ts"
import { applyMergePatch } from "../Shared/MergePatch.ts"
import type { ExpectedVersions, ListRequest, ResourceRepository, Stored } from "../Shared/Repository.ts"
import { etagOf } from "../Shared/Http.ts"

export interface MemoryResourceOptions<R extends Stored, Create, NotFound, IdTaken, WriteError, DeleteError> {
  readonly collection: string
  readonly filters: Filters
  /** The writable fields of a create or a replacement (no id). */
  readonly fields: (input: Create) => Omit<R, keyof Stored>
  readonly notFound: (id: string) => NotFound
  /** Unique keys besides the id, named like their SQL constraints. */
  readonly uniqueKeys?: ReadonlyArray<{ readonly constraint: string; readonly key: (resource: Omit<R, keyof Stored>) => unknown }>
  /** A create named an id that exists. */
  readonly idTaken: (id: string) => IdTaken
  readonly onUniqueViolation?: ((constraint: string) => WriteError) | undefined
  /** Checks references a write makes (e.g. to another collection). */
  readonly checkReferences?: (fields: Omit<R, keyof Stored>) => Effect.Effect<void, WriteError>
  /** Refuses a delete while the resource is referenced. */
  readonly checkDelete?: (id: string) => Effect.Effect<void, DeleteError>
}

const compare = (a: unknown, b: unknown): number => (a === b ? 0 : (a as string) < (b as string) ? -1 : 1)

const matches = (filters: Filters, values: Readonly<Record<string, unknown>>) => (resource: Record<string, unknown>) =>
  Object.entries(values).every(([name, value]) => {
    const filter = filters[name]
    if (filter === undefined || value === undefined) return true
    const field = resource[filter.column]
    switch (filter.kind) {
      case "in":
        return (value as ReadonlyArray<unknown>).includes(field)
      case "eq":
        return field === value
      case "after":
        return field !== undefined && compare(field, value) > 0
      case "before":
        return field !== undefined && compare(field, value) < 0
      case "prefix":
        return typeof field === "string" && field.toLowerCase().startsWith(String(value).toLowerCase())
    }
  })

export const makeMemoryRepository = <
  R extends Stored,
  Create extends { readonly id?: string | undefined },
  Patch extends Record<string, unknown>,
  NotFound,
  IdTaken,
  WriteError = never,
  DeleteError = never
>(
  options: MemoryResourceOptions<R, Create, NotFound, IdTaken, WriteError, DeleteError>
): ResourceRepository<R, Create, Patch, NotFound, IdTaken, WriteError, DeleteError> => {
  const rows = new Map<string, R>()
  let lastModified: string | undefined
  const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())
  const span = (name: string) => `${options.collection}MemoryRepository.${name}`

  const findById = (id: string): Effect.Effect<R, NotFound> => {
    const row = rows.get(id)
    return row === undefined ? Effect.fail(options.notFound(id)) : Effect.succeed(row)
  }

  const preconditionFailed = (current: R) =>
    new PreconditionFailed({ detail: "The resource changed since that ETag", etag: etagOf(current) })

  const checkVersion = (current: R, expected: ExpectedVersions): Effect.Effect<void, PreconditionFailed> =>
    expected === undefined || expected.includes(current.version) ? Effect.void : Effect.fail(preconditionFailed(current))

  /** The unique key a write would duplicate, if any. */
  const duplicateKey = (fields: Omit<R, keyof Stored>, id: string) =>
    options.uniqueKeys?.find(({ key }) => {
      const value = key(fields)
      return value !== undefined && [...rows.values()].some((row) => row.id !== id && key(row) === value)
    })

  /**
   * Checks and stores in one synchronous step, like the single SQL statement
   * it stands for: no other fiber can write in between.
   */
  const store = (fields: Omit<R, keyof Stored>, stored: Stored): Effect.Effect<R, WriteError> => {
    const duplicate = duplicateKey(fields, stored.id)
    if (duplicate) return Effect.fail(options.onUniqueViolation!(duplicate.constraint))
    const row = { ...fields, ...stored } as unknown as R
    rows.set(row.id, row)
    lastModified = stored.updated_at
    return Effect.succeed(row)
  }

  const write = (id: string, fields: Omit<R, keyof Stored>, expected: ExpectedVersions) =>
    Effect.gen(function*() {
      yield* options.checkReferences?.(fields) ?? Effect.void
      const updated_at = yield* now
      return yield* Effect.suspend((): Effect.Effect<R, NotFound | PreconditionFailed | WriteError> => {
        const current = rows.get(id)
        if (current === undefined) return Effect.fail(options.notFound(id))
        if (expected !== undefined && !expected.includes(current.version)) return Effect.fail(preconditionFailed(current))
        return store(fields, { id, created_at: current.created_at, updated_at, version: current.version + 1 })
      })
    })

  const withoutStored = ({ id: _id, created_at: _c, updated_at: _u, version: _v, ...fields }: R) =>
    fields as unknown as Omit<R, keyof Stored>

  return {
    list: (request: ListRequest) =>
      Effect.sync(() => {
        const { field, descending } = request.sort
        const order = descending ? -1 : 1
        const byKey = (a: R, b: R) =>
          order * (compare((a as any)[field], (b as any)[field]) || compare(a.id, b.id))
        const matching = [...rows.values()].filter(matches(options.filters, request.filters) as (row: R) => boolean).sort(byKey)
        const after = request.after
        const rest = after === undefined
          ? matching
          : matching.filter((row) => order * (compare((row as any)[field], after.value) || compare(row.id, after.id)) > 0)
        return {
          items: rest.slice(0, request.limit),
          total: matching.length,
          hasMore: rest.length > request.limit,
          lastModified
        }
      }).pipe(Effect.withSpan(span("list"))),
    findById: (id) => findById(id).pipe(Effect.withSpan(span("findById"))),
    create: (input) =>
      Effect.gen(function*() {
        const fields = options.fields(input)
        yield* options.checkReferences?.(fields) ?? Effect.void
        const id = input.id ?? globalThis.crypto.randomUUID()
        const timestamp = yield* now
        return yield* Effect.suspend((): Effect.Effect<R, IdTaken | WriteError> =>
          rows.has(id)
            ? Effect.fail(options.idTaken(id))
            : store(fields, { id, created_at: timestamp, updated_at: timestamp, version: 1 })
        )
      }).pipe(Effect.withSpan(span("create"))),
    replace: (id, input, expected) => write(id, options.fields(input), expected).pipe(Effect.withSpan(span("replace"))),
    patch: (id, patch, expected) =>
      Effect.flatMap(findById(id), (current) =>
        Object.keys(patch).length === 0
          ? Effect.as(checkVersion(current, expected), current)
          : write(id, applyMergePatch(withoutStored(current), patch as any), expected)).pipe(Effect.withSpan(span("patch"))),
    remove: (id, expected) =>
      Effect.gen(function*() {
        yield* options.checkDelete?.(id) ?? Effect.void
        const timestamp = yield* now
        return yield* Effect.suspend((): Effect.Effect<void, NotFound | PreconditionFailed> => {
          const current = rows.get(id)
          if (current === undefined) return Effect.fail(options.notFound(id))
          if (expected !== undefined && !expected.includes(current.version)) return Effect.fail(preconditionFailed(current))
          rows.delete(id)
          lastModified = timestamp
          return Effect.void
        })
      }).pipe(Effect.withSpan(span("remove")))
  }
}
