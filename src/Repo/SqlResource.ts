/**
 * The SQL building blocks every resource repository shares: how rows become
 * resources and how database failures become domain problems.
 */
import { Effect } from "effect"
import type { Schema } from "effect"
import type { SqlError } from "effect/sql/SqlError"
import { DatabaseUnavailable } from "../Errors.ts"

/** RFC 3339 in UTC with milliseconds, the same text the in-memory layer produces. */
const isoTimestamp = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`

/** The select list of a resource: its own columns (`date` ones as `YYYY-MM-DD`), then the managed ones. */
export const selectList = (options: { readonly columns: ReadonlyArray<string>; readonly dates?: ReadonlyArray<string> }) =>
  [
    ...options.columns,
    ...(options.dates ?? []).map((column) => `to_char(${column}, 'YYYY-MM-DD') AS ${column}`),
    isoTimestamp("created_at"),
    isoTimestamp("updated_at"),
    "version"
  ].join(", ")

/** A NULL column is an absent optional field: drop it before decoding. */
export const withoutNulls = (row: Record<string, unknown>): Record<string, unknown> => {
  const result: Record<string, unknown> = {}
  for (const key in row) {
    if (row[key] !== null) result[key] = row[key]
  }
  return result
}

/**
 * What a database failure means to a client: a unique violation is the
 * caller's conflict (`onUniqueViolation`), a lost or slow database is a 503,
 * anything else is a bug (a defect: logged, 500).
 */
export const mapSqlError = <E = never>(onUniqueViolation?: (constraint: string) => E) =>
<A, R>(effect: Effect.Effect<A, SqlError | Schema.SchemaError, R>): Effect.Effect<A, E | DatabaseUnavailable, R> =>
  Effect.catch(effect, (error): Effect.Effect<never, E | DatabaseUnavailable> => {
    if (error._tag === "SchemaError") return Effect.die(error)
    switch (error.reason._tag) {
      case "UniqueViolation":
        return onUniqueViolation ? Effect.fail(onUniqueViolation(error.reason.constraint)) : Effect.die(error)
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
  })
