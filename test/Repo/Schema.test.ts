/**
 * The rules the schema itself keeps (its triggers), checked with raw SQL on
 * each SQL backend. A new row: `created_at` is the INSERT's if it gives one
 * (the service never does: the column's default, the database's clock), its
 * `updated_at` is that `created_at` and its version 1, whatever the INSERT
 * says. An UPDATE, whatever it says: `created_at` kept, `updated_at` the
 * database's clock, the version one more.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { pgliteLayer, postgresLayer, skipPostgres } from "../support/Databases.ts"

/** A valid new row of each table, unique by `tag` (names and emails are unique keys). */
const tables: Record<string, (tag: string) => Record<string, string | number>> = {
  animals: (tag) => ({ id: globalThis.crypto.randomUUID(), name: tag, date_of_birth: "2020-01-01", species: "lion" }),
  habitats: (tag) => ({ id: globalThis.crypto.randomUUID(), name: tag, climate: "dry", capacity: 3 }),
  zookeepers: (tag) => ({ id: globalThis.crypto.randomUUID(), name: tag, email: `${tag}@zoo.example`, hired_on: "2020-01-01" })
}

interface Stamps {
  readonly created_at: Date
  readonly updated_at: Date
  readonly version: number
}

/** The one row a statement returned, as numbers to compare. */
/** The database's clock, read now, in milliseconds. */
const clock = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ now: Date }>`SELECT clock_timestamp() AS now`
  return new Date(rows[0]!.now).getTime()
})

const onlyRow = (rows: ReadonlyArray<Stamps>) => {
  assert.lengthOf(rows, 1)
  const [row] = rows as [Stamps]
  return { created: new Date(row.created_at).getTime(), updated: new Date(row.updated_at).getTime(), version: row.version }
}

const schemaRules = (name: string, database: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  layer(database, { excludeTestServices: true, timeout: "60 seconds" })(name, (it) => {
    for (const [table, newRow] of Object.entries(tables)) {
      it.effect(`${table}: a new row's created_at is the database's clock (or the INSERT's), updated_at the same, version 1, whatever the INSERT says of those`, () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const claimed = { created_at: "2001-01-01T00:00:00Z", updated_at: "2002-02-02T00:00:00Z", version: 7 }
          const stamped = onlyRow(
            yield* sql<Stamps>`INSERT INTO ${sql(table)} ${sql.insert({ ...newRow("insert-claimed"), ...claimed })} RETURNING created_at, updated_at, version`
          )
          assert.deepStrictEqual(stamped, { created: Date.parse("2001-01-01T00:00:00Z"), updated: Date.parse("2001-01-01T00:00:00Z"), version: 1 })
          const withoutUpdatedAt = onlyRow(
            yield* sql<Stamps>`INSERT INTO ${sql(table)} ${sql.insert({ ...newRow("insert-version"), version: 9 })} RETURNING created_at, updated_at, version`
          )
          assert.strictEqual(withoutUpdatedAt.version, 1)
          // Fifty rows as the service inserts them: both stamps are one reading of the clock, taken during the INSERT.
          for (let i = 0; i < 50; i++) {
            const before = yield* clock
            const stamps = onlyRow(
              yield* sql<Stamps>`INSERT INTO ${sql(table)} ${sql.insert(newRow(`insert-${i}`))} RETURNING created_at, updated_at, version`
            )
            const after = yield* clock
            assert.strictEqual(stamps.updated, stamps.created)
            assert.strictEqual(stamps.version, 1)
            // timestamptz(3) rounds to the millisecond: a reading may round up by half of one.
            assert.isAtLeast(stamps.created, before)
            assert.isAtMost(stamps.created, after + 1)
          }
        }))

      it.effect(`${table}: an UPDATE keeps created_at, sets updated_at from the clock and bumps the version, whatever it says of those`, () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          // Stamped in 2001, so that a moved updated_at cannot be mistaken for an unchanged one.
          const fresh = newRow("update")
          const row = { ...fresh, created_at: "2001-01-01T00:00:00Z" }
          const before = onlyRow(
            yield* sql<Stamps>`INSERT INTO ${sql(table)} ${sql.insert(row)} RETURNING created_at, updated_at, version`
          )
          assert.strictEqual(before.updated, Date.parse("2001-01-01T00:00:00Z"))
          const now = yield* clock
          const after = onlyRow(
            yield* sql<Stamps>`
              UPDATE ${sql(table)}
              SET name = 'after', created_at = '2003-03-03T00:00:00Z', updated_at = '2002-02-02T00:00:00Z', version = 42
              WHERE id = ${fresh.id!} RETURNING created_at, updated_at, version`
          )
          assert.strictEqual(after.created, before.created)
          assert.isAtLeast(after.updated, now)
          assert.strictEqual(after.version, 2)
        }))
    }
  })

describe("schema rules", () => {
  schemaRules("PGlite", pgliteLayer())
  describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
    schemaRules("PostgreSQL", postgresLayer("schema_rules"))
  })
})
