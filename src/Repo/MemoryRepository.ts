/**
 * One in-memory implementation of `ResourceRepository` for every collection:
 * a table of the shared `MemoryDatabase` per collection, with the same
 * ordering, paging, preconditions, conflicts and references as the SQL layer
 * (the contract tests hold both to it). For unit tests, and for trying the
 * API without a database.
 */
import { Clock, Effect, Result } from "effect"
import { PreconditionFailed } from "../Errors.ts"
import { collectionsRead, type Filters } from "../Shared/Listing.ts"
import { applyMergePatch } from "../Shared/MergePatch.ts"
import type { ExpectedVersions, LinkRepository, ListRequest, ResourceRepository, Stored } from "./Repository.ts"
import * as Tracing from "../Tracing.ts"
import { MemoryDatabase, type MemoryDatabaseShape } from "./MemoryDatabase.ts"
import { type Body, type Fields, type LinkDefinition, type MergePatchBody, type ResourceTable, writableColumns } from "./Table.ts"

/** Orders like the SQL layer: numbers as numbers (a cursor carries them as text), text by code point. */
const compare = (a: unknown, b: unknown): number => {
  const [x, y] = typeof a === "number" || typeof b === "number" ? [Number(a), Number(b)] : [a as string, b as string]
  return x === y ? 0 : x < y ? -1 : 1
}

/**
 * Lower case as PostgreSQL's `lower()`: a character at a time. JavaScript's
 * maps Σ by context (σ, or ς at the end of a word), so "ΑΣ" would not be a
 * prefix of "ΑΣΑ"; Σ is the one letter whose lower case depends on context.
 */
const lowerCase = (text: string) => text.replaceAll("Σ", "σ").toLowerCase()

const matches = (database: MemoryDatabaseShape, filters: Filters, values: Readonly<Record<string, unknown>>) => {
  const tests = Object.entries(values).flatMap(([name, value]): Array<(row: Readonly<Record<string, unknown>>) => boolean> => {
    const filter = filters[name]
    if (filter === undefined || value === undefined) return []
    const column = filter.column
    switch (filter.kind) {
      case "in":
        return [(row) => (value as ReadonlyArray<unknown>).includes(row[column])]
      case "eq":
        return [(row) => row[column] === value]
      case "after":
        return [(row) => row[column] !== undefined && compare(row[column], value) > 0]
      case "before":
        return [(row) => row[column] !== undefined && compare(row[column], value) < 0]
      case "prefix": {
        const prefix = lowerCase(value as string)
        return [(row) => typeof row[column] === "string" && lowerCase(row[column]).startsWith(prefix)]
      }
      case "linked": {
        const { member, owner, table } = filter.through
        const linked = new Set<unknown>()
        for (const link of database.table(table).rows.values()) if (link[owner] === value) linked.add(link[member])
        return [(row) => linked.has(row[column])]
      }
    }
  })
  return (row: Readonly<Record<string, unknown>>) => tests.every((test) => test(row))
}

/** The latest of some RFC 3339 timestamps (they compare as text), if any. */
const latest = (timestamps: ReadonlyArray<string | undefined>) =>
  timestamps.reduce<string | undefined>((max, at) => (at !== undefined && (max === undefined || at > max) ? at : max), undefined)

/** The clock's time as stored timestamps are written (RFC 3339, UTC, milliseconds). */
const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

export const makeMemoryRepository = Effect.fnUntraced(function*<R extends Stored, NotFound, IdTaken, WriteError = never, DeleteError = never>(
  definition: ResourceTable<R, NotFound, IdTaken, WriteError, DeleteError>
) {
  const database = yield* MemoryDatabase
  const table = database.table<R>(definition.table)
  const writable = writableColumns(definition)
  for (const reference of definition.references ?? []) {
    database.addForeignKey({ table: definition.table, column: reference.column, references: reference.table, onDelete: "restrict" })
  }
  // Made once per operation, not per call: making a span wrapper captures a stack trace.
  const tracedEffect = yield* Tracing.tracedEffect
  const traced = (name: string) => tracedEffect(`${definition.table}MemoryRepository.${name}`)
  const spans = {
    list: traced("list"),
    findById: traced("findById"),
    create: traced("create"),
    replace: traced("replace"),
    patch: traced("patch"),
    remove: traced("remove")
  }

  /** The writable fields of a create or a replacement: those present, no id. */
  const fieldsOf = (input: Body) => {
    const fields: Record<string, unknown> = {}
    for (const column of writable) {
      const value = input[column]
      if (value !== undefined) fields[column] = value
    }
    return fields as Fields<R>
  }

  const findById = (id: string): Effect.Effect<R, NotFound> => {
    const row = table.rows.get(id)
    return row === undefined ? Effect.fail(definition.notFound(id)) : Effect.succeed(row)
  }


  /** The current row, if it exists and `If-Match` accepts its version. */
  const current = (id: string, expected: ExpectedVersions): Result.Result<R, NotFound | PreconditionFailed> => {
    const row = table.rows.get(id)
    if (row === undefined) return Result.fail(definition.notFound(id))
    return expected === undefined || expected.includes(row.version) ? Result.succeed(row) : Result.fail(PreconditionFailed.of(row))
  }

  /** The unique key a write would duplicate, if any. */
  const duplicateKey = (fields: Fields<R>, id: string) =>
    definition.uniqueKeys?.find(({ key }) => {
      const value = key(fields)
      return value !== undefined && [...table.rows.values()].some((row) => row.id !== id && key(row) === value)
    })

  /**
   * Checks and stores in one synchronous step, like the single SQL statement
   * it stands for: no other fiber can write in between.
   */
  const store = (fields: Fields<R>, stored: Stored): Effect.Effect<R, WriteError> => {
    // In SQL, the rules' triggers run before the unique indexes and foreign keys are checked.
    for (const rule of definition.rules ?? []) {
      const violation = rule.violation(database, { ...fields, id: stored.id }, database.table(definition.table).rows.get(stored.id))
      if (violation !== undefined) return Effect.fail(rule.onViolated(violation))
    }
    const duplicate = duplicateKey(fields, stored.id)
    if (duplicate) return Effect.fail(duplicate.onTaken(fields))
    const missing = database.missingReference(definition.table, fields)
    const reference = missing && definition.references?.find(({ column }) => column === missing.column)
    if (reference) return Effect.fail(reference.onMissing(String((fields as Record<string, unknown>)[reference.column])))
    // The fields passed the resource's schema on the way in; with what the server sets, they are the resource.
    const row = { ...fields, ...stored } as R
    table.rows.set(row.id, row)
    table.lastModified = stored.updated_at
    return Effect.succeed(row)
  }

  const withoutStored = ({ id: _id, created_at: _c, updated_at: _u, version: _v, ...fields }: R): Fields<R> => fields

  /** Whether two sets of writable fields hold the same values (absent and absent alike). */
  const sameFields = (a: Fields<R>, b: Fields<R>) =>
    writable.every((column) => (a as Record<string, unknown>)[column] === (b as Record<string, unknown>)[column])

  const write = (id: string, fields: (row: R) => Fields<R>, expected: ExpectedVersions) =>
    Effect.flatMap(now, (updated_at) =>
      Effect.suspend((): Effect.Effect<R, NotFound | PreconditionFailed | WriteError> => {
        const found = current(id, expected)
        if (Result.isFailure(found)) return Effect.fail(found.failure)
        const row = found.success
        const next = fields(row)
        // A write that changes nothing is no write, as in SQL: same version, ETag and `updated_at`.
        if (sameFields(next, withoutStored(row))) return Effect.succeed(row)
        return store(next, { id, created_at: row.created_at, updated_at, version: row.version + 1 })
      }))


  const repository: ResourceRepository<R, Body, MergePatchBody, NotFound, IdTaken, WriteError, DeleteError> = {
    list: (request: ListRequest) =>
      Effect.sync(() => {
        const { field, descending } = request.sort
        const order = descending ? -1 : 1
        const position = (row: R, value: unknown, id: string) =>
          order * (compare((row as Record<string, unknown>)[field], value) || compare(row.id, id))
        const matching = [...table.rows.values()]
          .filter(matches(database, definition.filters, request.filters) as (row: R) => boolean)
          .sort((a, b) => position(a, (b as Record<string, unknown>)[field], b.id))
        const after = request.after
        const rest = after === undefined ? matching : matching.filter((row) => position(row, after.value, after.id) > 0)
        return {
          items: rest.slice(0, request.limit),
          total: matching.length,
          hasMore: rest.length > request.limit,
          lastModified: latest(
            collectionsRead(definition.table, definition.filters, request.filters).map((name) => database.table(name).lastModified)
          )
        }
      }).pipe(spans.list),
    findById: (id) => findById(id).pipe(spans.findById),
    create: (input) =>
      Effect.flatMap(now, (timestamp) =>
        Effect.suspend((): Effect.Effect<R, IdTaken | WriteError> => {
          const id = input.id ?? globalThis.crypto.randomUUID()
          return table.rows.has(id)
            ? Effect.fail(definition.idTaken(id))
            : store(fieldsOf(input), { id, created_at: timestamp, updated_at: timestamp, version: 1 })
        })).pipe(spans.create),
    replace: (id, input, expected) => write(id, () => fieldsOf(input), expected).pipe(spans.replace),
    patch: (id, patch, expected) =>
      (Object.keys(patch).length === 0
        ? Effect.suspend(() => Effect.fromResult(current(id, expected)))
        : write(id, (row) => applyMergePatch(withoutStored(row), patch), expected)).pipe(spans.patch),
    remove: (id, expected) =>
      Effect.flatMap(now, (timestamp) =>
        Effect.suspend((): Effect.Effect<void, NotFound | PreconditionFailed | DeleteError> => {
          const found = current(id, expected)
          if (Result.isFailure(found)) return Effect.fail(found.failure)
          const forbidden = database.delete(definition.table, id, timestamp)
          if (forbidden === undefined) return Effect.void
          // Like SQL: a restriction the collection does not explain is a bug, not a client error.
          return definition.onDeleteRestricted ? Effect.fail(definition.onDeleteRestricted(id)) : Effect.die(forbidden)
        })).pipe(spans.remove)
  }
  return repository
})

/**
 * One in-memory implementation of `LinkRepository`: a row of the link table
 * per link, whose foreign keys cascade when either end is deleted, as the
 * SQL schema's do.
 */
export const makeMemoryLinks = Effect.fnUntraced(function*<OwnerNotFound, MemberNotFound>(
  definition: LinkDefinition<OwnerNotFound, MemberNotFound>
) {
  const database = yield* MemoryDatabase
  const { link: { member, owner, table: name }, members, owners } = definition
  const table = database.table(name)
  database.addForeignKey({ table: name, column: owner, references: owners.table, onDelete: "cascade" })
  database.addForeignKey({ table: name, column: member, references: members.table, onDelete: "cascade" })
  /** Runs `change` on the link's key once both ends are known to exist; it says whether it changed anything. */
  const tracedEffect = yield* Tracing.tracedEffect
  const whenBothExist = (operation: string, change: (key: string, row: Record<string, string>) => boolean) => {
    const traced = tracedEffect(`${name}MemoryRepository.${operation}`)
    return (ownerId: string, memberId: string) =>
      Effect.flatMap(now, (timestamp) =>
      Effect.suspend((): Effect.Effect<void, OwnerNotFound | MemberNotFound> => {
        if (!database.table(owners.table).rows.has(ownerId)) return Effect.fail(owners.notFound(ownerId))
        if (!database.table(members.table).rows.has(memberId)) return Effect.fail(members.notFound(memberId))
        if (change(`${ownerId} ${memberId}`, { [owner]: ownerId, [member]: memberId })) {
          table.lastModified = timestamp
        }
        return Effect.void
      })).pipe(traced)
  }

  const repository: LinkRepository<OwnerNotFound, MemberNotFound> = {
    link: whenBothExist("link", (key, row) => {
      if (table.rows.has(key)) return false
      table.rows.set(key, row)
      return true
    }),
    unlink: whenBothExist("unlink", (key) => table.rows.delete(key))
  }
  return repository
})
