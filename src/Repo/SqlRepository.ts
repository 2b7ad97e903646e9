/**
 * One SQL implementation of `ResourceRepository` for every collection:
 * parameterised statements through `SqlClient`, rows returned as stored
 * (NULLs left out), keyset pages, and writes whose preconditions (`If-Match`) and
 * conflicts (unique keys, references) the database decides atomically.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import type { Fragment } from "effect/sql/Statement"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import { collectionsRead, type Filters } from "../Shared/Listing.ts"
import type { ExpectedVersions, LinkRepository, ListRequest, ResourceRepository, Stored } from "./Repository.ts"
import { capitalize } from "../Shared/Text.ts"
import * as Tracing from "../Tracing.ts"
import { withDeadline } from "./QueryDeadline.ts"
import {
  type Body,
  type Fields,
  foreignKeyName,
  type LinkDefinition,
  type MergePatchBody,
  primaryKeyName,
  type ResourceTable,
  storedAs,
  writableColumns
} from "./Table.ts"

/** RFC 3339 in UTC with milliseconds, the same text the in-memory layer produces. */
const isoTimestamp = (expression: string, alias = expression) =>
  `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${alias}`

/** A NULL column is an absent optional field: left out of the resource. */
const withoutNulls = (row: Record<string, unknown>): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  for (const key in row) {
    if (row[key] !== null) result[key] = row[key]
  }
  return result
}

/**
 * The constraint a failure names: a unique violation carries it; other
 * constraint errors (foreign keys) keep PostgreSQL's error fields in the cause.
 */
const constraintOf = (error: SqlError): string => {
  const reason = error.reason
  if (reason._tag === "UniqueViolation") return reason.constraint
  const constraint = (reason.cause as { readonly constraint?: unknown } | undefined)?.constraint
  return typeof constraint === "string" ? constraint : "unknown"
}

/**
 * Turns database failures into domain problems: a conflict on a constraint
 * into what `on` makes of it, a lost or slow database into 503, anything else
 * (a constraint `on` does not know included) into a defect (500): a bug, not
 * a client error.
 */
export const mapSqlError = <E = never>(on: {
  /** A unique constraint refused the write; `undefined` for one the caller did not expect. */
  readonly unique?: ((constraint: string) => E | undefined) | undefined
  /** Another constraint (a foreign key, a check) refused it; `undefined` for one the caller did not expect. */
  readonly constraint?: ((constraint: string, error: SqlError) => E | undefined) | undefined
} = {}) =>
<A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, E | DatabaseUnavailable, R> =>
  withDeadline(Effect.catch(effect, (error): Effect.Effect<never, E | DatabaseUnavailable> => {
    switch (error.reason._tag) {
      case "UniqueViolation":
      case "ConstraintError": {
        const handle = error.reason._tag === "UniqueViolation" ? on.unique : on.constraint
        const problem = handle?.(constraintOf(error), error)
        return problem === undefined ? Effect.die(error) : Effect.fail(problem)
      }
      case "ConnectionError":
      case "StatementTimeoutError":
      case "LockTimeoutError":
        return Effect.andThen(
          Effect.logWarning("Database unavailable", error.reason._tag),
          Effect.fail(DatabaseUnavailable.instance)
        )
      default:
        return Effect.die(error)
    }
  }))

/** The `WHERE` clauses of a list's filters, from their declarations; absent values are no clause. */
const filterClauses = (sql: SqlClient.SqlClient, filters: Filters, values: Readonly<Record<string, unknown>>) => {
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
      case "linked": {
        const { member, owner, table } = filter.through
        clauses.push(sql`${column} IN (SELECT ${sql(member)} FROM ${sql(table)} WHERE ${sql(owner)} = ${value})`)
        break
      }
    }
  }
  return clauses
}

export const makeSqlRepository = Effect.fnUntraced(function*<R extends Stored, NotFound, IdTaken, WriteError = never, DeleteError = never>(
  definition: ResourceTable<R, NotFound, IdTaken, WriteError, DeleteError>
) {
  const sql = yield* SqlClient.SqlClient
  const { table, filters } = definition
  const tracedFunction = yield* Tracing.tracedFunction
  const traced = (name: string) => tracedFunction(`${capitalize(table)}Repository.${name}`)
  const tableName = sql(table)
  const writable = writableColumns(definition)
  const columns = sql.literal([
    "id",
    ...definition.columns,
    ...(definition.dates ?? []).map((column) => `to_char(${column}, 'YYYY-MM-DD') AS ${column}`),
    isoTimestamp("created_at"),
    isoTimestamp("updated_at"),
    "version"
  ].join(", "))
  /** Rows as resources, not decoded again (`storedAs`): a page would pay it fifty times over; the contract tests read back every field. */
  const asResources = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((row) => storedAs<R>(withoutNulls(row)))
  /** The full row of a create or a replacement: optional fields left out become NULL. */
  const toRow = (input: Body): Record<string, unknown> =>
    Object.fromEntries(writable.map((column) => [column, input[column] ?? null]))
  type Row = Readonly<Record<string, unknown>>
  /** The problem of a unique constraint a write broke, from the row it wrote. */
  const taken = (constraint: string, row: Row) =>
    definition.uniqueKeys?.find((key) => key.constraint === constraint)?.onTaken(row as Partial<Fields<R>>)
  /** The problem of a foreign key a write broke: the row names one that does not exist. */
  const missing = (constraint: string, row: Row) => {
    const reference = definition.references?.find(({ column }) => foreignKeyName(table, column) === constraint)
    return reference?.onMissing(String(row[reference.column]))
  }
  /** The problem of a rule's trigger that refused the write, from the JSON detail it raised. */
  const broken = (constraint: string, error: SqlError) => {
    const rule = definition.rules?.find((rule) => rule.constraint === constraint)
    const detail = (error.reason.cause as { readonly detail?: unknown } | undefined)?.detail
    return rule !== undefined && typeof detail === "string" ? rule.onViolated(JSON.parse(detail)) : undefined
  }
  const writeErrors = (row: Row) =>
    mapSqlError<WriteError>({
      unique: (constraint) => taken(constraint, row),
      constraint: (constraint, error) => missing(constraint, row) ?? broken(constraint, error)
    })
  const createErrors = (row: Row & { readonly id: string }) =>
    mapSqlError<IdTaken | WriteError>({
      unique: (constraint) => constraint === primaryKeyName(table) ? definition.idTaken(row.id) : taken(constraint, row),
      constraint: (constraint, error) => missing(constraint, row) ?? broken(constraint, error)
    })
  const readErrors = mapSqlError()

  /**
   * A sort column as compared: text by code point, so SQL and memory order
   * alike. Qualified with the table: in ORDER BY a bare name is the output
   * column first, and `created_at` / `date_of_birth` are output as text
   * (`to_char`), which sorted every matching row instead of walking the index.
   */
  const sortColumn = (field: string) =>
    definition.textSortColumns?.includes(field)
      ? sql`${tableName}.${sql.literal(`${field} COLLATE "C"`)}`
      : sql`${tableName}.${sql(field)}`

  /**
   * A list's exact total. With no filter, or one `in` / `eq` filter, it is
   * read from `collection_counts`, which every write keeps in its own
   * transaction (migration 0007 counts each such filter's column): a page
   * costs the same at a thousand rows or a million. Any other combination
   * counts the matching rows, through the filters' indexes.
   */
  const countQuery = (values: ListRequest["filters"], where: ReadonlyArray<Fragment>) => {
    const given = Object.entries(values).filter(([name, value]) => value !== undefined && filters[name] !== undefined)
    const only = given.length === 1 ? filters[given[0]![0]] : undefined
    if (given.length === 0 || only?.kind === "in" || only?.kind === "eq") {
      const [dimension, counted] = only === undefined ? ["", [""]] : [only.column, [given[0]![1]].flat().map(String)]
      return sql<{ readonly total: number }>`
        SELECT coalesce(sum(rows), 0)::int AS total FROM collection_counts
        WHERE collection = ${table} AND filter = ${dimension} AND value IN ${sql.in(counted)}`
    }
    return sql<{ readonly total: number }>`SELECT count(*)::int AS total FROM ${tableName} WHERE ${sql.and(where)}`
  }

  const list = traced("list")(function*(request: ListRequest) {
    const where = filterClauses(sql, filters, request.filters)
    const { field, descending } = request.sort
    const direction = sql.literal(descending ? "DESC" : "ASC")
    const page = request.after === undefined
      ? where
      : [
        ...where,
        sql`(${sortColumn(field)}, id) ${sql.literal(descending ? "<" : ">")} (${request.after.value}, ${request.after.id})`
      ]
    const [rows, [count], [changes]] = yield* Effect.all([
      sql`SELECT ${columns} FROM ${tableName} WHERE ${sql.and(page)}
          ORDER BY ${sortColumn(field)} ${direction}, id ${direction} LIMIT ${request.limit + 1}`.pipe(Effect.map(asResources)),
      countQuery(request.filters, where),
      sql<{ readonly changed_at: string | null }>`
        SELECT ${sql.literal(isoTimestamp("max(changed_at)", "changed_at"))}
        FROM collection_changes WHERE collection IN ${sql.in(collectionsRead(table, filters, request.filters))}`
    ], { concurrency: "unbounded" }).pipe(readErrors)
    return {
      items: rows.slice(0, request.limit),
      total: count?.total ?? 0,
      hasMore: rows.length > request.limit,
      lastModified: changes?.changed_at ?? undefined
    }
  })

  const findById = traced("findById")(function*(id: string) {
    const rows = yield* sql`SELECT ${columns} FROM ${tableName} WHERE id = ${id}`.pipe(Effect.map(asResources), readErrors)
    if (rows.length === 0) return yield* Effect.fail(definition.notFound(id))
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
          ? Effect.fail(definition.notFound(id))
          : Effect.fail(PreconditionFailed.of(rows[0]!))
    )

  const versionCondition = (expected: ExpectedVersions) =>
    expected === undefined ? sql.literal("TRUE") : sql`version IN ${sql.in(expected)}`

  /** Some column of the row would change: a write that changes nothing is no write (same version, ETag and `updated_at`). */
  const changes = (row: Record<string, unknown>) =>
    sql.or(Object.entries(row).map(([column, value]) => sql`${sql(column)} IS DISTINCT FROM ${value}`))

  /**
   * A write matched no row: the resource is gone (404), its version moved on
   * (412), or it already holds every value written: the write is a no-op,
   * answered with the resource as it is.
   */
  const explainUnchanged = (id: string, expected: ExpectedVersions) =>
    Effect.flatMap(
      sql`SELECT ${columns} FROM ${tableName} WHERE id = ${id}`.pipe(Effect.map(asResources), readErrors),
      (rows): Effect.Effect<R, NotFound | PreconditionFailed> =>
        rows.length === 0
          ? Effect.fail(definition.notFound(id))
          : expected !== undefined && !expected.includes(rows[0]!.version)
          ? Effect.fail(PreconditionFailed.of(rows[0]!))
          : Effect.succeed(rows[0]!)
    )

  const update = (id: string, row: Record<string, unknown>, expected: ExpectedVersions) =>
    Effect.flatMap(
      sql`UPDATE ${tableName} SET ${sql.update(row)}
          WHERE id = ${id} AND ${versionCondition(expected)} AND (${changes(row)}) RETURNING ${columns}`.pipe(
        Effect.map(asResources),
        writeErrors(row)
      ),
      (rows) => rows.length === 0 ? explainUnchanged(id, expected) : Effect.succeed(rows[0]!)
    )

  const repository: ResourceRepository<R, Body, MergePatchBody, NotFound, IdTaken, WriteError, DeleteError> = {
    list,
    findById,
    create: traced("create")(function*(input: Body) {
      // Ids are made here, not by the database: PostgreSQL 15 has no uuidv7().
      const id = input.id ?? globalThis.crypto.randomUUID()
      const row = { ...toRow(input), id }
      const rows = yield* sql`INSERT INTO ${tableName} ${sql.insert(row)} RETURNING ${columns}`.pipe(
        Effect.map(asResources),
        // The database decides duplicates (a unique index), atomically: no read-then-write race.
        createErrors(row)
      )
      return rows[0]!
    }),
    replace: traced("replace")(function*(id: string, input: Body, expected?: ExpectedVersions) {
      return yield* update(id, toRow(input), expected)
    }),
    patch: traced("patch")(function*(id: string, patch: MergePatchBody, expected?: ExpectedVersions) {
      // A merge patch is an UPDATE of exactly the keys present (null clears): one statement, no lost update.
      if (Object.keys(patch).length === 0) {
        const current = yield* findById(id)
        if (expected !== undefined && !expected.includes(current.version)) {
          return yield* Effect.fail(PreconditionFailed.of(current))
        }
        return current
      }
      return yield* update(id, patch, expected)
    }),
    remove: traced("remove")(function*(id: string, expected?: ExpectedVersions) {
      const rows = yield* sql`DELETE FROM ${tableName} WHERE id = ${id} AND ${versionCondition(expected)} RETURNING id`.pipe(
        // The only constraint a delete can break: a RESTRICT foreign key pointing here.
        mapSqlError<DeleteError>({ constraint: () => definition.onDeleteRestricted?.(id) })
      )
      if (rows.length === 0) return yield* explainMiss(id)
    })
  }
  return repository
})

/**
 * One SQL implementation of `LinkRepository`: a row of the link table per
 * link, made only when both ends exist. When a call changes nothing, one
 * query tells "already so" (success) from an end that does not exist (404).
 */
export const makeSqlLinks = Effect.fnUntraced(function*<OwnerNotFound, MemberNotFound>(
  definition: LinkDefinition<OwnerNotFound, MemberNotFound>
) {
  const sql = yield* SqlClient.SqlClient
  const { link: { member, owner, table }, members, owners } = definition
  const tracedFunction = yield* Tracing.tracedFunction
  const traced = (name: string) => tracedFunction(`${capitalize(table)}Repository.${name}`)

  /** Nothing changed: fine if both ends exist, else the first that does not. */
  const explain = (ownerId: string, memberId: string) =>
    Effect.flatMap(
      sql<{ readonly owner: boolean; readonly member: boolean }>`
        SELECT EXISTS (SELECT 1 FROM ${sql(owners.table)} WHERE id = ${ownerId}) AS owner,
               EXISTS (SELECT 1 FROM ${sql(members.table)} WHERE id = ${memberId}) AS member`.pipe(mapSqlError()),
      ([found]): Effect.Effect<void, OwnerNotFound | MemberNotFound> =>
        !found?.owner
          ? Effect.fail(owners.notFound(ownerId))
          : !found.member
          ? Effect.fail(members.notFound(memberId))
          : Effect.void
    )

  const repository: LinkRepository<OwnerNotFound, MemberNotFound> = {
    link: traced("link")(function*(ownerId: string, memberId: string) {
      const rows = yield* sql`
        INSERT INTO ${sql(table)} (${sql(owner)}, ${sql(member)})
        SELECT o.id, m.id FROM ${sql(owners.table)} o, ${sql(members.table)} m WHERE o.id = ${ownerId} AND m.id = ${memberId}
        ON CONFLICT DO NOTHING RETURNING 1`.pipe(
        // An end deleted while this ran: its foreign key says which.
        mapSqlError<OwnerNotFound | MemberNotFound>({
          constraint: (constraint) =>
            constraint === foreignKeyName(table, owner)
              ? owners.notFound(ownerId)
              : constraint === foreignKeyName(table, member)
              ? members.notFound(memberId)
              : undefined
        })
      )
      if (rows.length === 0) yield* explain(ownerId, memberId)
    }),
    unlink: traced("unlink")(function*(ownerId: string, memberId: string) {
      const rows = yield* sql`
        DELETE FROM ${sql(table)} WHERE ${sql(owner)} = ${ownerId} AND ${sql(member)} = ${memberId} RETURNING 1`.pipe(mapSqlError())
      if (rows.length === 0) yield* explain(ownerId, memberId)
    })
  }
  return repository
})
