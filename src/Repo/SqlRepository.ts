/**
 * One SQL implementation of `ResourceRepository` for every collection:
 * parameterised statements through `SqlClient`, rows decoded by the domain
 * schema, keyset pages, and writes whose preconditions (`If-Match`) and
 * conflicts (unique keys, references) the database decides atomically.
 */
import { Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import type { Fragment } from "effect/sql/Statement"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import type { Filters } from "../Shared/Listing.ts"
import type { ExpectedVersions, ListRequest, ResourceRepository, Stored } from "../Shared/Repository.ts"
import { etagOf } from "../Shared/Http.ts"

export interface SqlResourceOptions<R extends Stored, Create, NotFound, IdTaken, WriteError, DeleteError> {
  /** Table name; also the collection's key in `collection_changes`. */
  readonly table: string
  /** Decodes a row (NULL columns dropped) into the resource. */
  readonly Resource: Schema.Codec<R, unknown>
  /** Columns selected as they are (the id included). */
  readonly columns: ReadonlyArray<string>
  /** `date` columns, selected as `YYYY-MM-DD`. */
  readonly dates?: ReadonlyArray<string>
  readonly filters: Filters
  /** Text columns sorted by code point (`COLLATE "C"`), the same order as the in-memory layer. */
  readonly textSortColumns?: ReadonlyArray<string>
  /** The full row for a create or a replacement: optional fields left out become NULL. */
  readonly toRow: (input: Create) => Record<string, unknown>
  readonly notFound: (id: string) => NotFound
  /** A create named an id that exists (the `<table>_pkey` constraint). */
  readonly idTaken: (id: string) => IdTaken
  /** Another unique constraint was violated by a write (a unique field taken). */
  readonly onUniqueViolation?: ((constraint: string) => WriteError) | undefined
  /** A foreign key (or check) failed on a write: a reference to something that does not exist. */
  readonly onWriteConstraint?: () => WriteError
  /** A foreign key refused a delete: the resource is still referenced. */
  readonly onDeleteRestricted?: (id: string) => DeleteError
}

/** RFC 3339 in UTC with milliseconds, the same text the in-memory layer produces. */
const isoTimestamp = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`

/** A NULL column is an absent optional field: drop it before decoding. */
const withoutNulls = (row: Record<string, unknown>): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  for (const key in row) {
    if (row[key] !== null) result[key] = row[key]
  }
  return result
}

type Failure = "unique" | "constraint" | "unavailable" | "other"

/** What a database failure is, to the caller. */
const classify = (error: SqlError): Failure => {
  switch (error.reason._tag) {
    case "UniqueViolation":
      return "unique"
    case "ConstraintError":
      return "constraint"
    case "ConnectionError":
    case "StatementTimeoutError":
    case "LockTimeoutError":
      return "unavailable"
    default:
      return "other"
  }
}

/**
 * Turns database failures into domain problems: the given mapping for
 * conflicts, 503 for a lost or slow database, a defect (500) for anything
 * else — a bug, not a client error.
 */
export const mapSqlError = <E = never>(on: {
  readonly unique?: ((constraint: string) => E) | undefined
  readonly constraint?: (() => E) | undefined
} = {}) =>
<A, R>(effect: Effect.Effect<A, SqlError | Schema.SchemaError, R>): Effect.Effect<A, E | DatabaseUnavailable, R> =>
  Effect.catch(effect, (error): Effect.Effect<never, E | DatabaseUnavailable> => {
    if (error._tag === "SchemaError") return Effect.die(error)
    switch (classify(error)) {
      case "unique":
        if (on.unique && error.reason._tag === "UniqueViolation") return Effect.fail(on.unique(error.reason.constraint))
        return Effect.die(error)
      case "constraint":
        return on.constraint ? Effect.fail(on.constraint()) : Effect.die(error)
      case "unavailable":
        return Effect.andThen(
          Effect.logWarning("Database unavailable", error.reason._tag),
          Effect.fail(DatabaseUnavailable.instance)
        )
      case "other":
        return Effect.die(error)
    }
  })

export const makeSqlRepository = Effect.fnUntraced(function*<
  R extends Stored,
  Create extends { readonly id?: string | undefined },
  Patch extends Record<string, unknown>,
  NotFound,
  IdTaken,
  WriteError = never,
  DeleteError = never
>(options: SqlResourceOptions<R, Create, NotFound, IdTaken, WriteError, DeleteError>) {
  const sql = yield* SqlClient.SqlClient
  const { table, filters } = options
  const span = (name: string) => `${capitalize(table)}Repository.${name}`
  const tableName = sql(table)
  const columns = sql.literal([
    ...options.columns,
    ...(options.dates ?? []).map((column) => `to_char(${column}, 'YYYY-MM-DD') AS ${column}`),
    isoTimestamp("created_at"),
    isoTimestamp("updated_at"),
    "version"
  ].join(", "))
  const decode = Schema.decodeUnknownEffect(options.Resource)
  const decodeRows = (rows: ReadonlyArray<Record<string, unknown>>) => Effect.forEach(rows, (row) => decode(withoutNulls(row)))
  const primaryKey = `${table}_pkey`
  const writeErrors = mapSqlError<WriteError>({ unique: options.onUniqueViolation, constraint: options.onWriteConstraint })
  const createErrors = (id: string) =>
    mapSqlError<IdTaken | WriteError>({
      unique: (constraint) => constraint === primaryKey ? options.idTaken(id) : uniqueViolation(constraint),
      constraint: options.onWriteConstraint
    })
  /** Only a create can take a primary key; other unique constraints are the resource's own. */
  const uniqueViolation = (constraint: string): WriteError => {
    if (options.onUniqueViolation === undefined) throw new Error(`Unexpected unique violation on ${constraint}`)
    return options.onUniqueViolation(constraint)
  }
  const readErrors = mapSqlError()

  /** A sort column as compared: text by code point, so SQL and memory order alike. */
  const sortColumn = (field: string) =>
    options.textSortColumns?.includes(field) ? sql.literal(`${field} COLLATE "C"`) : sql(field)

  const filterClauses = (values: Readonly<Record<string, unknown>>): Array<Fragment> => {
    const clauses: Array<Fragment> = []
    for (const [name, value] of Object.entries(values)) {
      const filter = filters[name]
      if (filter === undefined || value === undefined) continue
      const column = sql(filter.column)
      switch (filter.kind) {
        case "in":
          clauses.push(sql`${column} IN ${sql.in(value as ReadonlyArray<unknown>)}`)
          break
        case "eq":
          clauses.push(sql`${column} = ${value}`)
          break
        case "after":
          clauses.push(sql`${column} > ${value}`)
          break
        case "before":
          clauses.push(sql`${column} < ${value}`)
          break
        case "prefix":
          clauses.push(sql`starts_with(lower(${column}), lower(${value}))`)
          break
      }
    }
    return clauses
  }

  const list = Effect.fn(span("list"))(function*(request: ListRequest) {
    const where = filterClauses(request.filters)
    const { field, descending } = request.sort
    const direction = sql.literal(descending ? "DESC" : "ASC")
    const page = request.after === undefined
      ? where
      : [
        ...where,
        sql`(${sortColumn(field)}, id) ${sql.literal(descending ? "<" : ">")} (${request.after.value}, ${request.after.id})`
      ]
    const [rows, [count], changes] = yield* Effect.all([
      sql`SELECT ${columns} FROM ${tableName} WHERE ${sql.and(page)}
          ORDER BY ${sortColumn(field)} ${direction}, id ${direction} LIMIT ${request.limit + 1}`.pipe(Effect.flatMap(decodeRows)),
      sql<{ readonly total: number }>`SELECT count(*)::int AS total FROM ${tableName} WHERE ${sql.and(where)}`,
      sql<{ readonly changed_at: string }>`SELECT ${sql.literal(isoTimestamp("changed_at"))} FROM collection_changes WHERE collection = ${table}`
    ], { concurrency: "unbounded" }).pipe(readErrors)
    return {
      items: rows.slice(0, request.limit),
      total: count?.total ?? 0,
      hasMore: rows.length > request.limit,
      lastModified: changes[0]?.changed_at
    }
  })

  const findById = Effect.fn(span("findById"))(function*(id: string) {
    const rows = yield* sql`SELECT ${columns} FROM ${tableName} WHERE id = ${id}`.pipe(Effect.flatMap(decodeRows), readErrors)
    if (rows.length === 0) return yield* Effect.fail(options.notFound(id))
    return rows[0]!
  })

  /**
   * A write matched no row: either the resource is gone (404) or its version
   * moved on (412). Only asked after the write decided, so it cannot race it.
   */
  const explainMiss = (id: string) =>
    Effect.flatMap(
      sql<{ readonly version: number }>`SELECT version FROM ${tableName} WHERE id = ${id}`.pipe(readErrors),
      (rows): Effect.Effect<never, NotFound | PreconditionFailed> =>
        rows.length === 0
          ? Effect.fail(options.notFound(id))
          : Effect.fail(new PreconditionFailed({ detail: "The resource changed since that ETag", etag: etagOf(rows[0]!) }))
    )

  const versionCondition = (expected: ExpectedVersions) =>
    expected === undefined ? sql.literal("TRUE") : sql`version IN ${sql.in(expected)}`

  const update = (id: string, row: Record<string, unknown>, expected: ExpectedVersions) =>
    Effect.flatMap(
      sql`UPDATE ${tableName} SET ${sql.update(row)} WHERE id = ${id} AND ${versionCondition(expected)} RETURNING ${columns}`.pipe(
        Effect.flatMap(decodeRows),
        writeErrors
      ),
      (rows) => rows.length === 0 ? explainMiss(id) : Effect.succeed(rows[0]!)
    )

  const repository: ResourceRepository<R, Create, Patch, NotFound, IdTaken, WriteError, DeleteError> = {
    list,
    findById,
    create: Effect.fn(span("create"))(function*(input: Create) {
      // Ids are made here, not by the database: PostgreSQL 15 has no uuidv7().
      const id = input.id ?? globalThis.crypto.randomUUID()
      const rows = yield* sql`INSERT INTO ${tableName} ${sql.insert({ ...options.toRow(input), id })} RETURNING ${columns}`.pipe(
        Effect.flatMap(decodeRows),
        // The database decides duplicates (a unique index), atomically: no read-then-write race.
        createErrors(id)
      )
      return rows[0]!
    }),
    replace: Effect.fn(span("replace"))(function*(id: string, input: Create, expected?: ExpectedVersions) {
      return yield* update(id, options.toRow(input), expected)
    }),
    patch: Effect.fn(span("patch"))(function*(id: string, patch: Patch, expected?: ExpectedVersions) {
      // A merge patch is an UPDATE of exactly the keys present (null clears): one statement, no lost update.
      if (Object.keys(patch).length === 0) {
        const current = yield* findById(id)
        if (expected !== undefined && !expected.includes(current.version)) {
          return yield* Effect.fail(new PreconditionFailed({ detail: "The resource changed since that ETag", etag: etagOf(current) }))
        }
        return current
      }
      return yield* update(id, patch, expected)
    }),
    remove: Effect.fn(span("remove"))(function*(id: string, expected?: ExpectedVersions) {
      const rows = yield* sql`DELETE FROM ${tableName} WHERE id = ${id} AND ${versionCondition(expected)} RETURNING id`.pipe(
        mapSqlError<DeleteError>({ constraint: options.onDeleteRestricted && (() => options.onDeleteRestricted!(id)) })
      )
      if (rows.length === 0) return yield* explainMiss(id)
    })
  }
  return repository
})

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)
